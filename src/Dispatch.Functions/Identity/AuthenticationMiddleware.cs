using Dispatch.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Functions.Identity;

/// <summary>
/// The request pipeline in the Functions worker (Azure, <c>func start</c>): the worker does not run ASP.NET
/// Core's authentication, so every HTTP function passes through here before it runs. The local host runs
/// the same <see cref="RequestPipeline"/> itself, and both ask <see cref="AppFunctions"/> which functions are anonymous.
/// </summary>
public sealed class AuthenticationMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        if (http is null || AppFunctions.IsAnonymous(context.FunctionDefinition.Name))
        {
            await next(context);
            return;
        }

        var call = await context.InstanceServices.GetRequiredService<RequestPipeline>().AuthenticateAsync(http, context.FunctionDefinition.Name);
        if (call is null)
        {
            return;
        }

        context.InstanceServices.GetRequiredService<CallContext>().Call = call;
        await next(context);
    }
}
