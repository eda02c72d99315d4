using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Rows written by the code before timeline events were typed and before clocks kept their start
/// (<c>Fixtures/rows-written-before-typed-events.json</c>, captured on Azurite; its README tells how), put back
/// into a table and read through today's store, queries and API. Every expected value is written by hand from the
/// story the fixture's README tells (times on 2026-11-26, UTC), never read from the code.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class StoredRowsTests(Azurite azurite) : IAsyncLifetime
{
    private static readonly IncidentId A = IncidentId.Parse("beilin-01.01M8BDWP00TB0NSRBXZ48J2Z8P");
    private static readonly IncidentId B = IncidentId.Parse("beilin-01.01M8BDYZ7RGM3HHVBY77PZGH2A");
    private static readonly IncidentId C = IncidentId.Parse("beilin-01.01M8BE0B60J63JERDWQ7YEV9T4");

    private static readonly Person Dispatcher = new("dispatcher.beilin-01", "Dispatcher");
    private static readonly Person Officer = new("officer.beilin-01", "Officer");
    private static readonly Person OfficerTwo = new("officer2.beilin-01", "Officer Two");
    private static readonly Person DutyOfficer = new("duty.beilin-01", "Duty Officer");
    private static readonly Holder Desk = new(HolderKind.Dispatcher, Dispatcher, null);
    private static readonly Holder Patrol1 = new(HolderKind.Unit, Officer, "patrol-1");
    private static readonly Holder Patrol2 = new(HolderKind.Unit, OfficerTwo, "patrol-2");

    private readonly string tableName = "rows" + Guid.NewGuid().ToString("N")[..12];
    private List<JsonObject> rows = null!;
    private ApiHost api = null!;
    private IIncidentStore store = null!;
    private IIncidentQueries queries = null!;

    public async Task InitializeAsync()
    {
        var path = Path.Combine(RepoRoot.Path, "tests", "Dispatch.Functions.Tests", "Fixtures", "rows-written-before-typed-events.json");
        rows = [.. JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsArray().Select(r => r!.AsObject())];
        var client = new TableServiceClient(azurite.ConnectionString).GetTableClient(tableName);
        await client.CreateIfNotExistsAsync();
        foreach (var row in rows)
        {
            await client.AddEntityAsync(Entity(row));
        }

        // The app as it is wired, on the table that holds the rows.
        api = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["DISPATCH_TABLE"] = tableName });
        store = api.Service<IIncidentStore>();
        queries = api.Service<IIncidentQueries>();
    }

    public async Task DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task A_closed_incident_reads_back_every_field_and_its_clocks_start_at_deadline_minus_target()
    {
        var a = (await store.FindAsync(A, default))!.Incident;

        Assert.Equal(
            (A, StationId.Parse("beilin-01"), "theft", Priority.P1, Zone.Urban, Channel.Phone, new Location("1 Bell Tower Square", 34.26, 108.94),
                "Bicycle taken from outside the bank", "138-0000-0000"),
            (a.Id, a.Station, a.Report.Category, a.Report.Priority, a.Report.Zone, a.Report.Channel, a.Report.Location, a.Report.Description, a.Report.ReporterContact));
        Assert.Equal((IncidentStatus.Closed, "builtin-2026-11", 10, T("08:00:00"), Dispatcher), (a.Status, a.PolicyVersion, a.Version, a.ReportedAt, a.ReportedBy));
        Assert.Equal([0.5, 0.75], a.Plan.WarnAt);
        Assert.Equal(
            [new EscalationLevel(1, Duration.Zero, Audience.DutyOfficer), new EscalationLevel(2, Duration.FromMinutes(2), Audience.Chief), new EscalationLevel(3, Duration.FromMinutes(10), Audience.CommandCenter)],
            a.Plan.Ladder);
        Assert.Equal(
            (T("08:01:30"), T("08:06:00"), T("08:16:00"), T("08:21:00"), (Instant?)null, "suspect detained", (string?)null),
            (a.DispatchedAt, a.OnSceneAt, a.ResolvedAt, a.ClosedAt, a.CancelledAt, a.Outcome, a.CancelReason));
        Assert.Equal([new Assignment(T("08:01:30"), "patrol-1", Officer, Dispatcher), new Assignment(T("08:02:30"), "patrol-2", OfficerTwo, Dispatcher)], a.Assignments);
        Assert.Equal(("patrol-2", OfficerTwo), (a.Unit, a.Officer));

        var dispatch = a.Clocks.Dispatch;
        Assert.Equal(
            (T("08:00:00"), Duration.FromMinutes(1), T("08:01:00"), T("08:01:30"), (Instant?)null, 2, 1, T("08:01:10"), DutyOfficer),
            (dispatch.StartedAt, dispatch.Target, dispatch.Deadline, dispatch.MetAt, dispatch.StoppedAt, dispatch.WarningsSent, dispatch.Level, dispatch.AcknowledgedAt, dispatch.AcknowledgedBy));
        Assert.Equal(new BreachFact(T("08:01:00"), Desk, T("08:01:00")), dispatch.Breach);
        AssertOutcome(dispatch.Outcome, ClockResult.Breached, T("08:01:30"), Duration.FromSeconds(90), Duration.FromSeconds(30), Desk, (Desk, "08:00:00", "08:01:30"));

        var arrival = a.Clocks.Arrival;
        Assert.Equal(
            (T("08:00:00"), Duration.FromMinutes(5), T("08:05:00"), T("08:06:00"), (Instant?)null, 2, 1, (Instant?)null, (Person?)null),
            (arrival.StartedAt, arrival.Target, arrival.Deadline, arrival.MetAt, arrival.StoppedAt, arrival.WarningsSent, arrival.Level, arrival.AcknowledgedAt, arrival.AcknowledgedBy));
        // The arrival deadline passed while patrol-2 held it; the sweep saw it at 08:05:30.
        Assert.Equal(new BreachFact(T("08:05:00"), Patrol2, T("08:05:30")), arrival.Breach);
        AssertOutcome(arrival.Outcome, ClockResult.Breached, T("08:06:00"), Duration.FromMinutes(6), Duration.FromMinutes(1), Patrol2,
            (Desk, "08:00:00", "08:01:30"), (Patrol1, "08:01:30", "08:02:30"), (Patrol2, "08:02:30", "08:06:00"));

        var resolution = a.Clocks.Resolution;
        Assert.Equal(
            (T("08:00:00"), Duration.FromHours(2), T("10:00:00"), T("08:16:00"), 0, 0, (BreachFact?)null),
            (resolution.StartedAt, resolution.Target, resolution.Deadline, resolution.MetAt, resolution.WarningsSent, resolution.Level, resolution.Breach));
        AssertOutcome(resolution.Outcome, ClockResult.Met, T("08:16:00"), Duration.FromMinutes(16), Duration.Zero, Patrol2,
            (Desk, "08:00:00", "08:01:30"), (Patrol1, "08:01:30", "08:02:30"), (Patrol2, "08:02:30", "08:16:00"));
    }

    [Fact]
    public async Task A_cancelled_incident_and_an_open_one_read_back_their_clocks_as_stopped_and_running()
    {
        var b = (await store.FindAsync(B, default))!.Incident;
        var c = (await store.FindAsync(C, default))!.Incident;

        // B: P2 homicide, suburban (arrival 10 min × 2), reported 08:01:15, cancelled 08:03:00 before any deadline.
        Assert.Equal((IncidentStatus.Cancelled, Priority.P2, Zone.Suburban, "homicide", 3, T("08:03:00"), "duplicate of an earlier call", 0),
            (b.Status, b.Report.Priority, b.Report.Zone, b.Report.Category, b.Version, b.CancelledAt, b.CancelReason, b.Assignments.Count));
        Assert.Equal(
            [(T("08:01:15"), T("08:04:15"), T("08:03:00")), (T("08:01:15"), T("08:21:15"), T("08:03:00")), (T("08:01:15"), T("16:01:15"), T("08:03:00"))],
            b.Clocks.Select(k => (k.StartedAt, k.Deadline, k.StoppedAt!.Value)));
        Assert.All(b.Clocks, k => AssertOutcome(k.Outcome, ClockResult.Stopped, T("08:03:00"), Duration.FromSeconds(105), Duration.Zero, Desk, (Desk, "08:01:15", "08:03:00")));

        // C: P3 noise, rural (arrival 30 min × 3), dispatched 08:03:20, handed to patrol-2 at 08:04:00 with no reason, still open.
        Assert.Equal((IncidentStatus.Dispatched, true, T("08:03:20"), "patrol-2", OfficerTwo, T("09:32:00")), (c.Status, c.IsOpen, c.DispatchedAt, c.Unit, c.Officer, c.NextDeadline));
        Assert.Equal(
            [(T("08:02:00"), Duration.FromMinutes(15), T("08:03:20")), (T("08:02:00"), Duration.FromMinutes(90), (Instant?)null), (T("08:02:00"), Duration.FromDays(3), (Instant?)null)],
            c.Clocks.Select(k => (k.StartedAt, k.Target, k.MetAt)));
        Assert.Equal((null, null), (c.Clocks.Arrival.Outcome, c.Clocks.Resolution.Outcome));
        Assert.Equal(Patrol2, c.HolderAt(ClockKind.Arrival, T("08:05:00")));
    }

    [Fact]
    public async Task Event_rows_read_as_typed_events_with_every_field()
    {
        var a = await queries.TimelineAsync(A, default);
        var b = await queries.TimelineAsync(B, default);
        var c = await queries.TimelineAsync(C, default);

        var sweep = Person.System("sweep");
        Assert.Equal(
            [
                (1, "08:00:00", Dispatcher, (EventDetails)new EventDetails.Reported(Priority.P1, Zone.Urban, "theft", "builtin-2026-11")),
                (2, "08:00:30", sweep, new EventDetails.Warned(ClockKind.Dispatch, 1, Audience.DutyOfficer, $"{A}:dispatch:warning:1")),
                (3, "08:01:00", sweep, new EventDetails.Escalated(ClockKind.Dispatch, 1, Audience.DutyOfficer, $"{A}:dispatch:escalation:1")),
                (5, "08:01:30", Dispatcher, new EventDetails.Dispatched("patrol-1", Officer)),
                (6, "08:02:30", Dispatcher, new EventDetails.Reassigned("patrol-2", OfficerTwo, "patrol-1", "officer.beilin-01", "closer to the scene")),
                (7, "08:05:30", sweep, new EventDetails.Escalated(ClockKind.Arrival, 1, Audience.DutyOfficer, $"{A}:arrival:escalation:1")),
                (8, "08:06:00", OfficerTwo, new EventDetails.OnScene()),
                (9, "08:16:00", OfficerTwo, new EventDetails.Resolved("suspect detained")),
                (10, "08:21:00", DutyOfficer, new EventDetails.Closed()),
            ],
            a.Where(e => e.Kind != EventKind.Acknowledged).Select(e => (e.Sequence, Clock(e.At), e.Actor, e.Details)));
        var acknowledged = Assert.Single(a, e => e.Kind == EventKind.Acknowledged);
        var stopped = Assert.IsType<EventDetails.Acknowledged>(acknowledged.Details);
        Assert.Equal((4, T("08:01:10"), DutyOfficer, 1, ClockKind.Dispatch), (acknowledged.Sequence, acknowledged.At, acknowledged.Actor, stopped.Level, Assert.Single(stopped.Clocks)));
        Assert.All(a, e => Assert.Equal(A, e.IncidentId));

        Assert.Equal(
            [
                (1, "08:01:15", Dispatcher, (EventDetails)new EventDetails.Reported(Priority.P2, Zone.Suburban, "homicide", "builtin-2026-11")),
                (2, "08:01:15", Dispatcher, new EventDetails.Notified(Audience.Chief, $"{B}:immediate")),
                (3, "08:03:00", Dispatcher, new EventDetails.Cancelled("duplicate of an earlier call")),
            ],
            b.Select(e => (e.Sequence, Clock(e.At), e.Actor, e.Details)));
        Assert.Equal(
            [
                (1, "08:02:00", (EventDetails)new EventDetails.Reported(Priority.P3, Zone.Rural, "noise", "builtin-2026-11")),
                (2, "08:03:20", new EventDetails.Dispatched("patrol-1", Officer)),
                (3, "08:04:00", new EventDetails.Reassigned("patrol-2", OfficerTwo, "patrol-1", "officer.beilin-01", null)),
            ],
            c.Select(e => (e.Sequence, Clock(e.At), e.Details)));
    }

    [Fact]
    public async Task The_api_shows_each_events_details_under_the_keys_and_in_the_order_its_row_stored_them()
    {
        var stored = rows.Where(r => r["RowKey"]!.GetValue<string>().StartsWith("event|", StringComparison.Ordinal))
            .Select(r => JsonNode.Parse(r["Body"]!.GetValue<string>())!)
            .ToDictionary(e => (e["incidentId"]!.GetValue<string>(), e["sequence"]!.GetValue<int>()), e => e["details"]!.ToJsonString());
        var shown = new Dictionary<(string, int), string>();
        foreach (var id in new[] { A, B, C })
        {
            foreach (var e in (await Api.GetAsync(api.Client, $"incidents/{id}/timeline"))["events"]!.AsArray())
            {
                shown[(id.Value, e!["sequence"]!.GetValue<int>())] = e["details"]!.ToJsonString();
            }
        }

        Assert.Equal(16, stored.Count);
        Assert.Equal(stored.OrderBy(p => p.Key), shown.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task The_board_list_and_the_reports_read_the_old_rows_through_their_own_shapes()
    {
        var station = StationId.Parse("beilin-01");
        var asOf = T("08:30:00");

        var open = Assert.Single((await queries.ListAsync(new IncidentQuery(station, StatusFilter.Open, null, asOf, 50, null), default)).Items);
        var any = (await queries.ListAsync(new IncidentQuery(station, StatusFilter.Any, null, asOf, 50, null), default)).Items;
        var reported = new List<ReportedIncident>();
        await foreach (var incident in queries.ReportedBetweenAsync(station, T("08:00:00"), T("09:00:00"), asOf, default))
        {
            reported.Add(incident);
        }

        // The list: C alone is open; newest first, C (08:02:00), B (08:01:15), A (08:00:00).
        Assert.Equal([C, B, A], any.Select(i => i.Id));
        Assert.Equal((C, IncidentStatus.Dispatched, "patrol-2", OfficerTwo, false, 0, asOf), (open.Id, open.Status, open.Unit, open.Officer, open.Overdue, open.ReachedLevel, open.AsOf));
        Assert.Equal([ClockState.Met, ClockState.Running, ClockState.Running], open.Clocks.Select(k => k.State));
        // Its arrival and resolution clocks run before their deadlines: they may be paused (issue 28); rows from before pauses hold none.
        Assert.Equal([IncidentAction.Reassign, IncidentAction.Arrive, IncidentAction.Cancel, IncidentAction.Pause], open.Access.Allowed.Order());
        Assert.All(open.Clocks, k => Assert.Equal(((ClockPause?)null, Duration.Zero, 0), (k.Pause, k.PausedTime, k.PauseCount)));
        Assert.Equal((null, T("09:32:00")), (open[ClockKind.Arrival].OverdueBy, open[ClockKind.Arrival].Deadline));

        // The reports: A's dispatch met 30 s late, acknowledged 10 s after its breach; arrival met 1 min late under patrol-2; resolution met.
        var a = Assert.Single(reported, i => i.Id == A);
        Assert.Equal((IncidentStatus.Closed, false, 0, Priority.P1, Zone.Urban, "theft", Dispatcher), (a.Status, a.IsOpen, a.Findings.Count, a.Priority, a.Zone, a.Category, a.Dispatcher));
        var dispatch = a[ClockKind.Dispatch];
        Assert.Equal((Duration.FromSeconds(90), false, true, false, 1, Duration.FromSeconds(10), Desk, Duration.FromSeconds(30), DutyOfficer),
            (dispatch.Elapsed, dispatch.Met, dispatch.Breached, dispatch.Running, dispatch.Level, dispatch.TimeToAcknowledge, dispatch.Accountable, dispatch.OverdueBy, dispatch.AcknowledgedBy));
        Assert.Equal((Duration.FromMinutes(6), true, Patrol2, Duration.FromMinutes(1)), (a[ClockKind.Arrival].Elapsed, a[ClockKind.Arrival].Breached, a[ClockKind.Arrival].Accountable, a[ClockKind.Arrival].OverdueBy));
        Assert.Equal((Duration.FromMinutes(16), true, false), (a[ClockKind.Resolution].Elapsed, a[ClockKind.Resolution].Met, a[ClockKind.Resolution].Breached));
        Assert.Equal([(ClockKind.Dispatch, T("08:01:00")), (ClockKind.Arrival, T("08:05:00"))], a.Breaches.Select(b => (b.Clock, b.Deadline)));
        // B stopped before every deadline: nothing met, nothing breached; C's arrival runs under patrol-2, not yet due.
        var b = Assert.Single(reported, i => i.Id == B);
        Assert.All(b.Clocks, k => Assert.Equal((null, false, false, false, Desk), (k.Elapsed, k.Met, k.Breached, k.Running, k.Accountable)));
        var c = Assert.Single(reported, i => i.Id == C)[ClockKind.Arrival];
        Assert.Equal((true, false, false, Patrol2, Duration.Zero), (c.Running, c.Breached, c.OverdueNow, c.Accountable, c.OverdueBy));
    }

    [Fact]
    public async Task A_dispatch_recorded_before_identity_names_its_officer_as_an_unverified_person()
    {
        // How a dispatch and an acknowledgement were stored before identity (commit 97cb10b): the officer by name, the acknowledger under "by".
        var id = IncidentId.New(StationId.Parse("beilin-01"), T("09:00:00"));
        var client = new TableServiceClient(azurite.ConnectionString).GetTableClient(tableName);
        await client.AddEntityAsync(new TableEntity("beilin-01", $"event|{id}|000002")
        {
            ["Body"] = $$$"""{"incidentId":"{{{id}}}","sequence":2,"kind":"dispatched","at":"2026-11-26T09:01:00Z","actor":"Li Ming","details":{"unit":"patrol-7","officer":"Wang Lei"}}""",
        });
        await client.AddEntityAsync(new TableEntity("beilin-01", $"event|{id}|000003")
        {
            ["Body"] = $$$"""{"incidentId":"{{{id}}}","sequence":3,"kind":"acknowledged","at":"2026-11-26T09:04:00Z","actor":"Zhang Wei","details":{"by":"Zhang Wei","level":"2","clocks":"dispatch,arrival"}}""",
        });

        var events = await queries.TimelineAsync(id, default);

        Assert.Equal(
            (new Person("unverified:Li Ming", "Li Ming"), (EventDetails)new EventDetails.Dispatched("patrol-7", new Person("unverified:Wang Lei", "Wang Lei"))),
            (events[0].Actor, events[0].Details));
        var acknowledged = Assert.IsType<EventDetails.Acknowledged>(events[1].Details);
        Assert.Equal((2, "Dispatch,Arrival"), (acknowledged.Level, string.Join(",", acknowledged.Clocks)));
    }

    [Fact]
    public async Task A_pause_and_a_resume_read_back_under_their_keys()
    {
        var id = IncidentId.New(StationId.Parse("beilin-01"), T("10:00:00"));
        var client = new TableServiceClient(azurite.ConnectionString).GetTableClient(tableName);
        await client.AddEntityAsync(new TableEntity("beilin-01", $"event|{id}|000002")
        {
            ["Body"] = $$$"""{"incidentId":"{{{id}}}","sequence":2,"kind":"paused","at":"2026-11-26T10:00:20Z","actor":{"subject":"duty.beilin-01","name":"Duty Officer"},"details":{"clock":"arrival","reason":"road-closed","resumesBy":"2026-11-26T10:30:20Z"}}""",
        });
        await client.AddEntityAsync(new TableEntity("beilin-01", $"event|{id}|000003")
        {
            ["Body"] = $$$"""{"incidentId":"{{{id}}}","sequence":3,"kind":"resumed","at":"2026-11-26T10:31:00Z","actor":{"subject":"system:sweep","name":"sweep"},"details":{"clock":"arrival","reason":"road-closed","resumedAt":"2026-11-26T10:30:20Z","pausedFor":"PT30M","deadline":"2026-11-26T10:35:00Z","automatic":"true"}}""",
        });

        var events = await queries.TimelineAsync(id, default);

        Assert.Equal(
            [
                new EventDetails.Paused(ClockKind.Arrival, "road-closed", T("10:30:20"), null),
                (EventDetails)new EventDetails.Resumed(ClockKind.Arrival, "road-closed", T("10:30:20"), Duration.FromMinutes(30), T("10:35:00"), Automatic: true),
            ],
            events.Select(e => e.Details));
    }

    private static Instant T(string time) => Instant.FromDateTimeOffset(DateTimeOffset.Parse($"2026-11-26T{time}Z", System.Globalization.CultureInfo.InvariantCulture));

    private static string Clock(Instant at) => at.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    private static void AssertOutcome(
        ClockOutcome? outcome, ClockResult result, Instant ended, Duration elapsed, Duration overdue, Holder accountable, params (Holder Holder, string From, string To)[] periods)
    {
        Assert.NotNull(outcome);
        Assert.Equal((result, ended, elapsed, overdue, accountable, false), (outcome.Result, outcome.EndedAt, outcome.Elapsed, outcome.OverdueBy, outcome.Accountable, outcome.Derived));
        Assert.Equal(periods.Select(p => new Holding(p.Holder, T(p.From), T(p.To))), outcome.Periods);
    }

    /// <summary>A fixture row as the table entity it was: <c>Name@odata.type: Edm.DateTime</c> marks a date-time property.</summary>
    private static TableEntity Entity(JsonObject row)
    {
        var entity = new TableEntity(row["PartitionKey"]!.GetValue<string>(), row["RowKey"]!.GetValue<string>());
        foreach (var (name, value) in row)
        {
            if (name is "PartitionKey" or "RowKey" || name.EndsWith("@odata.type", StringComparison.Ordinal))
            {
                continue;
            }

            entity[name] = row[$"{name}@odata.type"]?.GetValue<string>() == "Edm.DateTime"
                ? DateTimeOffset.Parse(value!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
                : value!.GetValueKind() switch
                {
                    JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
                    JsonValueKind.Number => value.GetValue<int>(),
                    _ => value.GetValue<string>(),
                };
        }

        return entity;
    }
}
