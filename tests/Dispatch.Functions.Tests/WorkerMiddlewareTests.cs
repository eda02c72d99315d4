using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Dispatch.Core.Identity;
using Dispatch.Functions.Identity;
using Dispatch.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Context.Features;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The worker's own middleware, <see cref="AuthenticationMiddleware"/>, run the way the Functions worker runs it. The
/// <see cref="FunctionContext"/> is built the way the worker's own tests build theirs (a subclass, as
/// <c>TestFunctionContext</c> in azure-functions-dotnet-worker's <c>test/TestUtility</c>): its definition is the
/// function's entry in the built functions.metadata, the request's <see cref="HttpContext"/> sits where the ASP.NET
/// Core integration puts it, and its services are the app's own, on Azurite.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class WorkerMiddlewareTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task A_valid_token_runs_the_function_as_the_caller_with_their_roster()
    {
        var run = await InvokeAsync("GetIncident", stack.Tokens.Mint(staff.Dispatcher, [], stack.Clock.GetCurrentInstant(), Duration.FromHours(1)));

        Assert.True(run.Ran);
        var call = run.Call!;
        Assert.Equal((staff.Dispatcher.Subject, "GetIncident"), (call.Person.Subject, call.Request.Function));
        Assert.Equal([(staff.Station, StationRole.Dispatcher)], call.Caller.Memberships.Select(m => (m.Station, m.Role)));
    }

    [Fact]
    public async Task Without_a_token_the_function_does_not_run_and_the_caller_gets_a_401_problem()
    {
        var run = await InvokeAsync("GetIncident", token: null);

        Assert.False(run.Ran);
        Assert.Equal((401, "application/problem+json; charset=utf-8", "Bearer"), (run.Http.Response.StatusCode, run.Http.Response.ContentType, run.Http.Response.Headers.WWWAuthenticate.ToString()));
        Assert.Equal(401, JsonNode.Parse(run.Body)!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_function_marked_anonymous_runs_without_a_token_and_without_a_caller()
    {
        var run = await InvokeAsync("Health", token: null);

        Assert.True(run.Ran);
        Assert.Null(run.Call);
        Assert.Equal("", run.Body);
    }

    [Fact]
    public async Task A_function_the_app_does_not_declare_is_asked_for_a_token_rather_than_let_through()
    {
        var run = await InvokeAsync("NotAFunctionOfTheApp", token: null);

        Assert.False(run.Ran);
        Assert.Equal(401, run.Http.Response.StatusCode);
    }

    [Fact]
    public async Task A_timer_invocation_carries_no_http_request_and_runs()
    {
        await using var scope = stack.App.Services.CreateAsyncScope();
        var context = new WorkerContext(Definition("Sweep"), scope.ServiceProvider);
        var ran = false;

        await new AuthenticationMiddleware().Invoke(context, _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        Assert.True(ran);
    }

    private async Task<Run> InvokeAsync(string function, string? token)
    {
        await using var scope = stack.App.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = "GET";
        http.Request.Path = "/api/incidents/x";
        http.Response.Body = new MemoryStream();
        if (token is not null)
        {
            http.Request.Headers.Authorization = $"Bearer {token}";
        }

        var context = new WorkerContext(Definition(function), scope.ServiceProvider);
        // Where the ASP.NET Core integration keeps the request (its Constants.HttpContextKey); the extension the app calls must find it there.
        context.Items["HttpRequestContext"] = http;
        Assert.Same(http, context.GetHttpContext());

        var ran = false;
        Core.Audit.ApiCall? call = null;
        await new AuthenticationMiddleware().Invoke(context, _ =>
        {
            ran = true;
            call = CallOf(scope.ServiceProvider.GetRequiredService<CallContext>());
            return Task.CompletedTask;
        });

        http.Response.Body.Position = 0;
        return new Run(ran, call, http, await new StreamReader(http.Response.Body).ReadToEndAsync());
    }

    /// <summary>The caller the middleware set, or null when it set none (reading an unset one throws, as a function would find).</summary>
    private static Core.Audit.ApiCall? CallOf(CallContext context)
    {
        try
        {
            return context.Call;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The function's entry in the built functions.metadata, as the worker receives it from the host; a name it does not list stands for a function added later.</summary>
    private static MetadataDefinition Definition(string name)
    {
        var entry = BuiltFunctions.Metadata().FirstOrDefault(f => f.Name == name);
        return new MetadataDefinition(name, entry.EntryPoint ?? "Dispatch.Functions.Unknown.Run");
    }

    private sealed record Run(bool Ran, Core.Audit.ApiCall? Call, HttpContext Http, string Body);

    private sealed class MetadataDefinition(string name, string entryPoint) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];

        public override string PathToAssembly => typeof(AuthenticationMiddleware).Assembly.Location;

        public override string EntryPoint => entryPoint;

        public override string Id => name;

        public override string Name => name;

        public override IImmutableDictionary<string, BindingMetadata> InputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;

        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    private sealed class WorkerContext(FunctionDefinition definition, IServiceProvider services) : FunctionContext
    {
        public override string InvocationId { get; } = Guid.NewGuid().ToString();

        public override string FunctionId => definition.Id;

        public override TraceContext TraceContext => null!;

        public override BindingContext BindingContext => null!;

        public override RetryContext RetryContext => null!;

        public override IServiceProvider InstanceServices { get; set; } = services;

        public override FunctionDefinition FunctionDefinition => definition;

        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

        public override IInvocationFeatures Features => null!;
    }
}
