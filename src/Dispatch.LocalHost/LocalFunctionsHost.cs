using Dispatch.Functions.Operations;
using System.Reflection;
using Dispatch.Functions.Identity;
using Dispatch.Functions.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Dispatch.LocalHost;

/// <summary>
/// Serves the Functions app's own <c>[Function]</c> classes over HTTP on Kestrel, standing in for the
/// Functions host, which cannot be installed here. Requests and responses go through the same
/// ASP.NET Core types the isolated worker's ASP.NET Core integration uses.
/// </summary>
public static class LocalFunctionsHost
{
    /// <summary>The Functions host's default route prefix (host.json <c>extensions.http.routePrefix</c>).</summary>
    public const string RoutePrefix = "api";

    /// <summary>Settings the local host supplies when they are not set (README, "Settings").</summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["DISPATCH_SWEEP_SCHEDULE"] = "*/5 * * * * *",
        ["DISPATCH_REPORT_SCHEDULE"] = "0 * * * * *",
        // The local host is a development host: it accepts the local stack's own token issuer.
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
    };

    public static readonly Assembly FunctionsAssembly = typeof(DispatchServiceCollectionExtensions).Assembly;

    public static WebApplication Build(LocalHostOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(Defaults);
        builder.Configuration.AddConfiguration(options.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Address, options.Port));
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Services.AddDispatch(builder.Configuration);
        builder.Services.AddDispatchTelemetry(builder.Configuration);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TimerScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TimerScheduler>());
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        var (http, timers) = FunctionCatalog.Discover(FunctionsAssembly, app.Configuration);
        if (options.RunTimers)
        {
            foreach (var timer in timers)
            {
                app.Services.GetRequiredService<TimerScheduler>().Add(timer);
            }
        }
        foreach (var function in http)
        {
            app.MapMethods($"/{RoutePrefix}/{function.Route}", function.Methods, context => InvokeAsync(function, context))
                .WithName(function.Name);
        }

        return app;
    }

    private static async Task InvokeAsync(HttpFunction function, HttpContext context)
    {
        var method = function.Method;
        // The same request pipeline the worker middleware runs in Azure: who is calling, before the function.
        if (method.GetCustomAttribute<AnonymousAttribute>() is null)
        {
            var call = await context.RequestServices.GetRequiredService<RequestPipeline>().AuthenticateAsync(context, function.Name);
            if (call is null)
            {
                return;
            }

            context.RequestServices.GetRequiredService<CallContext>().Call = call;
        }

        var instance = method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(context.RequestServices, method.DeclaringType!);
        var arguments = method.GetParameters().Select(p => p.ParameterType switch
        {
            var t when t == typeof(HttpRequest) => context.Request,
            var t when t == typeof(CancellationToken) => context.RequestAborted,
            _ => (object?)context.GetRouteValue(p.Name!)?.ToString(),
        }).ToArray();

        var returned = method.Invoke(instance, arguments);
        if (returned is Task task)
        {
            await task;
            returned = task.GetType().GetProperty("Result")?.GetValue(task);
        }

        switch (returned)
        {
            case IActionResult result:
                await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
                break;
            case IResult result:
                await result.ExecuteAsync(context);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
    }
}

public sealed class LocalHostOptions
{
    public System.Net.IPAddress Address { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>0 picks a free port; read the bound one from the app's URLs.</summary>
    public int Port { get; init; } = 7071;

    public required IConfiguration Configuration { get; init; }

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Fire timer functions on their schedules; tests that drive the sweep themselves turn this off.</summary>
    public bool RunTimers { get; init; } = true;

    /// <summary>Replaces services after the app's own, e.g. a FakeClock in tests.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}
