using Dispatch.Functions.Identity;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Settings;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Dispatch.Functions.Hosting;

/// <summary>The app under the Functions host (Azure, <c>func start</c>): the services both hosts share, and the worker's own hooks.</summary>
public static class DispatchWorker
{
    public static FunctionsApplicationBuilder AddDispatchWorker(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        // Who is calling, before any function not marked [Anonymous]: the local host runs the same RequestPipeline.
        builder.UseMiddleware<AuthenticationMiddleware>();
        builder.Services.AddDispatch(builder.Configuration);
        builder.Logging.WithoutPerRequestLines();
        // Function classes made the way the local host makes them (FunctionActivator).
        builder.Services.Replace(ServiceDescriptor.Singleton<IFunctionActivator, FunctionActivator>());
        builder.Services.AddDispatchTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
        return builder;
    }
}
