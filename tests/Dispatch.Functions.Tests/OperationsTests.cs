using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;
using Dispatch.Core.Identity;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Timers;
using Dispatch.LocalHost;
using Dispatch.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>Metrics, traces and the detailed health on Azurite and the in-repo broker, under a FakeClock.</summary>
[Collection(SharedAzurite.Name)]
public sealed class OperationsTests(Azurite azurite) : IAsyncLifetime
{
    private readonly int busPort = Ports.Free();
    private readonly CapturedLogs logs = new();
    private LocalBus bus = null!;
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        bus = StartBus();
        stack = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: bus.ConnectionString,
            services: s => s.AddSingleton<ILoggerProvider>(logs), logLevel: LogLevel.Debug);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync()
    {
        await stack.DisposeAsync();
        await bus.DisposeAsync();
    }

    private HttpClient Operator => stack.ClientAs("ops.person", GlobalRole.Admin);

    [Fact]
    public async Task The_metrics_carry_the_values_of_what_happened_under_the_fake_clock()
    {
        using var metrics = new Recorded(stack.Service<IMeterFactory>());
        await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, "P1", category: "homicide")); // immediate: sent with the intake
        await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, "P1"));
        using var refused = await stack.Anonymous.GetAsync($"incidents?station={staff.Station.Value}");
        stack.Clock.Advance(Duration.FromSeconds(70)); // the P1 dispatch deadlines passed 10 s ago; the 30-s warnings 40 s ago

        await Sweep().Run(new TimerInfo(), CancellationToken.None);

        Assert.Equal(2, metrics.Sum("dispatch.http.requests", ("function", "ReportIncident"), ("status", 201)));
        Assert.Equal(1, metrics.Sum("dispatch.http.requests", ("function", "ListIncidents"), ("status", 401)));
        Assert.Equal(1, metrics.Sum("dispatch.sweep.runs", ("result", "ok")));
        Assert.Equal(2, metrics.Sum("dispatch.sweep.due"));
        Assert.Equal(2, metrics.Sum("dispatch.sweep.changed"));
        Assert.Equal(1, metrics.Sum("dispatch.notices.sent", ("kind", "immediate"), ("audience", "chief")));
        Assert.Equal(2, metrics.Sum("dispatch.notices.sent", ("kind", "escalation"), ("audience", "duty-officer")));
        Assert.Equal(0, metrics.Sum("dispatch.notices.sent", ("kind", "warning"))); // their deadlines have passed: warnings are passed over
        Assert.Equal([0.0], metrics.Values("dispatch.immediate.latency"));
        Assert.Equal([10.0, 10.0], metrics.Values("dispatch.escalation.lateness")); // due at the deadline, sent 10 s after it
    }

    [Fact]
    public async Task The_detailed_health_is_503_until_the_sweep_has_run_and_200_after_and_only_operators_may_read_it()
    {
        using var before = await Operator.GetAsync("health/detail");
        var beforeBody = await ApiHost.ReadJsonAsync(before);
        await Sweep().Run(new TimerInfo(), CancellationToken.None);
        var after = await Api.GetAsync(Operator, "health/detail");
        stack.Clock.Advance(Duration.FromSeconds(16)); // three 5-second intervals, and a bit
        using var stale = await Operator.GetAsync("health/detail");
        using var dispatcher = await staff.As(staff.Dispatcher).GetAsync("health/detail");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Contains("the sweep has never completed", beforeBody!["problems"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal("healthy", after["status"]!.GetValue<string>());
        Assert.Equal("PT15S", after["sweep"]!["maxAge"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stale.StatusCode);
        Assert.Contains("the sweep last completed PT16S ago", (await ApiHost.ReadJsonAsync(stale))!["problems"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        await Api.AssertProblemAsync(dispatcher, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_service_bus_outage_with_notices_waiting_turns_the_health_503_and_it_recovers_when_the_notices_go_out()
    {
        await bus.DisposeAsync();
        await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, "P3", category: "homicide")); // no warning within 90 s
        stack.Clock.Advance(Duration.FromSeconds(90));
        await Sweep().Run(new TimerInfo(), CancellationToken.None); // tries, fails: the notice stays
        var down = await ApiHost.ReadJsonAsync(await Operator.GetAsync("health/detail"));

        bus = StartBus();
        stack.Clock.Advance(Duration.FromSeconds(10)); // past the relay's backoff
        await Sweep().Run(new TimerInfo(), CancellationToken.None);
        var up = await Api.GetAsync(Operator, "health/detail");

        Assert.Equal("unhealthy", down!["status"]!.GetValue<string>());
        Assert.Equal(1, down["outbox"]!["backlog"]!.GetValue<int>());
        Assert.Equal("PT1M30S", down["outbox"]!["oldestAge"]!.GetValue<string>());
        Assert.False(down["serviceBus"]!["answers"]!.GetValue<bool>());
        Assert.Equal(0, up["outbox"]!["backlog"]!.GetValue<int>());
        Assert.True(up["serviceBus"]!["answers"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_dead_lettered_escalation_shows_in_the_count_and_makes_the_health_503()
    {
        await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value, "P2", category: "homicide"));
        await Sweep().Run(new TimerInfo(), CancellationToken.None);
        await using (var client = new ServiceBusClient(bus.ConnectionString))
        await using (var receiver = client.CreateReceiver("escalations", "chief"))
        {
            var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(5));
            await receiver.DeadLetterMessageAsync(message, "DeskCrashed", "a desk that could not show it");
        }

        var detail = await ApiHost.ReadJsonAsync(await Operator.GetAsync("health/detail"));

        var chief = detail!["serviceBus"]!["subscriptions"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "chief")!;
        Assert.Equal(1, chief["deadLettered"]!.GetValue<int>());
        Assert.Contains("1 escalation(s) dead-lettered on 'chief'", detail["problems"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task No_trace_log_or_metric_carries_a_reporters_contact_an_address_or_a_description_and_the_message_continues_the_trace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        using var metrics = new Recorded(stack.Service<IMeterFactory>());
        var report = ApiHost.Report(staff.Station.Value, "P1", category: "homicide");
        report["reporterContact"] = "139-1234-5678";
        report["location"]!["address"] = "88 Secret Lane";
        report["description"] = "Witness Zhou saw everything";

        var id = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), report))["id"]!.GetValue<string>();
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var receiver = client.CreateReceiver("escalations", "chief");
        var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(5));

        var everything = Everything(spans, metrics);
        Assert.DoesNotContain("139-1234-5678", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret Lane", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Zhou", everything, StringComparison.Ordinal);
        var intake = Assert.Single(spans, s => s.DisplayName == "Dispatch ReportIncident");
        Assert.Contains(spans, s => s.Source.Name.StartsWith("Azure.Data.Tables", StringComparison.Ordinal) && s.TraceId == intake.TraceId);
        var traceparent = (string)message!.ApplicationProperties["traceparent"];
        Assert.Equal(intake.TraceId.ToHexString(), traceparent.Split('-')[1]);
        Assert.Equal(id, message.ApplicationProperties["incidentId"]);
    }

    private SweepFunction Sweep() => ActivatorUtilities.CreateInstance<SweepFunction>(stack.App.Services);

    private LocalBus StartBus() => LocalBus.Start(Dispatch.Bus.BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")), busPort);

    /// <summary>What one host's meter recorded (instruments of other hosts in this process are left out by their factory).</summary>
    private sealed class Recorded : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> measurements = new();

        public Recorded(IMeterFactory factory)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == DispatchMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((i, v, t, _) => measurements.Enqueue((i.Name, v, t.ToArray())));
            listener.SetMeasurementEventCallback<double>((i, v, t, _) => measurements.Enqueue((i.Name, v, t.ToArray())));
            listener.Start();
        }

        public IEnumerable<string> Tags => measurements.SelectMany(m => m.Tags.Select(t => $"{m.Name} {t.Key}={t.Value}"));

        public double Sum(string name, params (string Key, object Value)[] tags) =>
            measurements.Where(m => m.Name == name && tags.All(t => m.Tags.Any(x => x.Key == t.Key && Equals(x.Value, t.Value)))).Sum(m => m.Value);

        public IEnumerable<double> Values(string name) => measurements.Where(m => m.Name == name).Select(m => m.Value);

        public void Dispose() => listener.Dispose();
    }

    [Fact]
    public async Task No_trace_log_metric_or_audit_line_carries_a_units_position()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = Listen(spans);
        using var metrics = new Recorded(stack.Service<IMeterFactory>());
        var units = $"stations/{staff.Station.Value}/units/patrol-1";
        await Api.PostAsync(staff.As(staff.Officer), $"{units}/position", new { latitude = 34.2617319, longitude = 108.9428467, accuracy = 7.25 });
        await Api.GetAsync(staff.As(staff.Dispatcher), $"stations/{staff.Station.Value}/units");
        await Api.GetAsync(staff.As(staff.Dispatcher), $"{units}/positions");
        using var refused = await staff.As(staff.Officer).PostAsJsonAsync($"{units}/position", new { latitude = 34.2617319, longitude = 200.9428467, accuracy = 7.25 });
        var audit = (await Api.GetAsync(stack.ClientAs("auditor.ops", GlobalRole.Auditor), $"audit?station={staff.Station.Value}&from=2026-11-26&to=2026-11-27"))["items"]!;

        var everything = Everything(spans, metrics) + "\n" + audit.ToJsonString();
        Assert.Contains("ReportUnitPosition", everything, StringComparison.Ordinal); // the requests were seen
        foreach (var figure in new[] { "34.2617", "108.9428", "200.9428", "7.25" })
        {
            Assert.DoesNotContain(figure, everything, StringComparison.Ordinal);
        }
    }

    /// <summary>Keeps every span of the app's source and the Azure SDK's, all sampled.</summary>
    private static ActivityListener Listen(ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Telemetry.SourceName || source.Name.StartsWith("Azure.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>Every span tag, log line and metric tag seen, as one text to search.</summary>
    private string Everything(IEnumerable<Activity> spans, Recorded metrics) =>
        string.Join("\n", spans.SelectMany(s => s.TagObjects.Select(t => $"{s.DisplayName} {t.Key}={t.Value}")))
        + "\n" + string.Join("\n", logs.Lines) + "\n" + string.Join("\n", metrics.Tags);

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Enqueue($"{category} {formatter(state, exception)} {exception}");
        }
    }
}
