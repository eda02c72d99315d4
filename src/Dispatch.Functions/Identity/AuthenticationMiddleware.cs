using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Functions.Identity;

/// <summary>
/// The request pipeline in the Functions worker (Azure, <c>func start</c>): the worker does not run ASP.NET
/// Core's authentication, so every HTTP function passes through here before it runs. The local host runs
/// the same <see cref="RequestPipeline"/> itself.
/// </summary>
public sealed class AuthenticationMiddleware : IFunctionsWorkerMiddleware
{
    private static readonly ConcurrentDictionary<string, bool> Anonymous = new(StringComparer.Ordinal);

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        if (http is null || IsAnonymous(context.FunctionDefinition.EntryPoint))
        {
            await next(context);
            return;
        }

        var pipeline = context.InstanceServices.GetRequiredService<RequestPipeline>();
        var call = await pipeline.AuthenticateAsync(http, context.FunctionDefinition.Name);
        if (call is null)
        {
            return;
        }

        context.InstanceServices.GetRequiredService<CallContext>().Call = call;
        await next(context);
    }

    /// <summary>Reads <see cref="AnonymousAttribute"/> from the entry point (<c>Namespace.Class.Method</c>), once per function.</summary>
    public static bool IsAnonymous(string entryPoint) => Anonymous.GetOrAdd(entryPoint, point =>
    {
        var dot = point.LastIndexOf('.');
        var type = typeof(AuthenticationMiddleware).Assembly.GetType(point[..dot]);
        return type?.GetMethod(point[(dot + 1)..], BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)?.GetCustomAttribute<AnonymousAttribute>() is not null;
    });
}
