using Dispatch.Contracts;
using Dispatch.Functions.Hosting;
using Dispatch.Functions.Settings;
using Dispatch.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dispatch.LocalHost.Tests;

/// <summary>
/// One contract for both hosts: what the local host serves is what the Functions host would serve from the same
/// build (functions.metadata under host.json's route prefix), and both make function classes the same way.
/// </summary>
public sealed class HostContractTests
{
    [Fact]
    public async Task The_local_hosts_route_table_is_functions_metadata_under_the_prefix_host_json_sets()
    {
        var prefix = BuiltFunctions.RoutePrefix();
        var expected = BuiltFunctions.Metadata()
            .Where(f => f.Trigger["type"]!.GetValue<string>() == "httpTrigger")
            .Select(f => $"{f.Name} {string.Join(",", f.Trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToUpperInvariant()))} /{prefix}/{f.Trigger["route"]}");

        await using var app = LocalFunctionsHost.Build(new LocalHostOptions { Port = 0, Configuration = new ConfigurationBuilder().Build(), RunTimers = false });
        var served = ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Select(e => $"{e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName} {string.Join(",", e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])} {e.RoutePattern.RawText}");

        Assert.Equal(expected.Order(StringComparer.Ordinal), served.Order(StringComparer.Ordinal));
        // The links the app writes and the tools' base URLs take the prefix from the same constant.
        Assert.Equal(ApiRoute.Prefix, prefix);
    }

    [Fact]
    public void No_function_class_is_a_service_because_the_worker_would_not_use_the_registration()
    {
        var classes = AppFunctions.All.Select(f => f.Method.DeclaringType!).ToHashSet();

        var services = new ServiceCollection().AddDispatch(new ConfigurationBuilder().Build());

        Assert.Empty(services.Where(d => classes.Contains(d.ServiceType) || (d.ImplementationType is { } type && classes.Contains(type))).Select(d => d.ServiceType.Name));
    }

    [Fact]
    public void The_worker_makes_function_classes_with_the_activator_the_local_host_uses()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.AddDispatchWorker();
        using var host = builder.Build();

        // The worker's invoker and its generated executor both ask IFunctionActivator for every invocation.
        Assert.IsType<FunctionActivator>(host.Services.GetRequiredService<IFunctionActivator>());
    }
}
