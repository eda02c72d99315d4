using System.Reflection;
using Dispatch.Contracts;
using Dispatch.Functions.Hosting;
using Dispatch.Functions.Identity;
using Dispatch.Functions.Operations;
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
    /// <summary>Settings the local host supplies when they are not set (README, "Settings").</summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["DISPATCH_SWEEP_SCHEDULE"] = "*/5 * * * * *",
        ["DISPATCH_REPORT_SCHEDULE"] = "0 * * * * *",
        // The local host is a development host: it accepts the local stack's own token issuer.
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
    };

    public static WebApplication Build(LocalHostOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(Defaults);
        builder.Configuration.AddConfiguration(options.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Address, options.Port));
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel).WithoutPerRequestLines();
        builder.Services.AddDispatch(builder.Configuration);
        builder.Services.AddDispatchTelemetry(builder.Configuration);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TimerScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TimerScheduler>());
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        var (http, timers) = FunctionCatalog.Discover(app.Configuration);
        if (options.RunTimers)
        {
            foreach (var timer in timers)
            {
                app.Services.GetRequiredService<TimerScheduler>().Add(timer);
            }
        }
        foreach (var function in http)
        {
            var invoker = new FunctionInvoker(function);
            app.MapMethods(ApiRoute.Path(function.Route), function.Methods, invoker.InvokeAsync).WithName(function.Name);
        }

        return app;
    }

    /// <summary>
    /// One HTTP function, called as the worker calls it: who is calling first (the same request pipeline the
    /// worker's middleware runs), then an instance made by <see cref="FunctionActivator"/>, its arguments bound from
    /// the request. Everything reflection can tell is found here once, not on every request.
    /// </summary>
    private sealed class FunctionInvoker
    {
        private readonly HttpFunction function;
        private readonly MethodInvoker method;
        private readonly Func<HttpContext, object?>[] arguments;

        public FunctionInvoker(HttpFunction function)
        {
            this.function = function;
            method = MethodInvoker.Create(function.Method);
            arguments = [.. function.Method.GetParameters().Select(Bind)];
        }

        public async Task InvokeAsync(HttpContext context)
        {
            if (!function.Anonymous)
            {
                var call = await context.RequestServices.GetRequiredService<RequestPipeline>().AuthenticateAsync(context, function.Name);
                if (call is null)
                {
                    return;
                }

                context.RequestServices.GetRequiredService<CallContext>().Call = call;
            }

            var instance = function.Method.IsStatic ? null : FunctionActivator.Create(function.Method.DeclaringType!, context.RequestServices);
            var values = new object?[arguments.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = arguments[i](context);
            }

            // FunctionCatalog admits only these two results.
            var returned = method.Invoke(instance, values.AsSpan());
            var result = returned as IActionResult ?? await (Task<IActionResult>)returned!;
            await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
        }

        private static Func<HttpContext, object?> Bind(ParameterInfo parameter)
        {
            var name = parameter.Name!;
            return parameter.ParameterType == typeof(HttpRequest) ? context => context.Request
                : parameter.ParameterType == typeof(CancellationToken) ? context => context.RequestAborted
                : context => context.GetRouteValue(name)?.ToString();
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
