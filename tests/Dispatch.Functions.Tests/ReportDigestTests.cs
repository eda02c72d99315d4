using System.Text.Json;
using Azure.Data.Tables;
using CsCheck;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Dispatch.Core.Tests.Doubles;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Storage;
using Dispatch.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Station-day digests (issue 29 §5) against the incident-by-incident computation, on random incidents in a real
/// Azurite table: the expected figures are those of <see cref="ReportService"/> without digests, which reads every
/// incident (the computation the hand-worked tables of ReportTests check). Europe/London, because Asia/Shanghai, the
/// default, has no daylight saving: its clocks went back on 25 October 2026, so the station-day of 24 October has 25 hours.
/// Some clocks are paused (issue 28), resumed or left to their maximum, so the raw figures and the pauses are compared too.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class ReportDigestTests(Azurite azurite)
{
    private static readonly ResponsePolicy London = ResponsePolicy.Default with { TimeZone = DateTimeZoneProviders.Tzdb["Europe/London"] };
    private static readonly LocalDate FirstDay = new(2026, 10, 23);
    private static readonly StationId[] Stations = [World.Beilin, World.Yanta];

    /// <summary>When the reports are read: noon of 28 October, so 23 to 27 October have ended and the 28th is the current day.</summary>
    private static readonly Instant FirstRead = Instant.FromUtc(2026, 10, 28, 12, 0);

    /// <summary>One incident: where and when it is reported, how far its script goes, the gaps between steps, which steps a sweep (and an acknowledgement) precede, and how many steps come late.</summary>
    /// <param name="Pauses">Before which steps the phase's clock is paused (issue 28), a third of the step's gap in; <paramref name="Resumes"/>: which of those are resumed two thirds in (the others run to their maximum or the sweep).</param>
    private sealed record Plan(int Station, int Day, int Minute, int Priority, int Zone, int Category, int Steps, int[] Gaps, int Unit, int Sweeps, int Acks, bool Cancel, int Late, int Pauses, int Resumes)
    {
        public override string ToString() =>
            $"{Station}/{Day}/{Minute} P{Priority + 1} steps {Steps}{(Cancel ? "+cancel" : "")} late {Late} gaps [{string.Join(',', Gaps)}] sweeps {Sweeps} acks {Acks} pauses {Pauses} resumes {Resumes}";
    }

    private static readonly Gen<Plan> Incident = Gen.Select(
        Gen.Select(Gen.Int[0, 1], Gen.Int[0, 5], Gen.Int[0, 1439], Gen.Int[0, 2], Gen.Int[0, 1], Gen.Int[0, 1]),
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1500].Array[6], Gen.Int[0, 1], Gen.Int[0, 63], Gen.Int[0, 63], Gen.Bool, Gen.Int[0, 2]),
        Gen.Select(Gen.Int[0, 31], Gen.Int[0, 31]),
        (where, script, pauses) => new Plan(
            where.Item1, where.Item2, where.Item2 == 5 ? where.Item3 % 90 : where.Item3, where.Item4, where.Item5, where.Item6,
            script.Item1, script.Item2, script.Item3, script.Item4, script.Item5, script.Item6, script.Item7, pauses.Item1, pauses.Item2));

    [Fact]
    public Task Digested_reports_give_the_same_figures_as_reading_every_incident_through_late_changes_and_a_25_hour_day() =>
        Incident.Array[10, 40].SampleAsync(async plans =>
        {
            // The store reads the clock only to know whether a change may land after its day's copy is written: the incidents
            // are stored as if while their days lasted (no copy is written before a day ends), then the reports are read.
            var clock = new FakeClock(London.TimeZone.AtLeniently(FirstDay.At(new LocalTime(8, 0))).ToInstant());
            var (table, store, queries, digests) = NewTable(clock);
            var stored = new List<(StoredIncident Incident, Plan Plan)>();
            // In the order they are reported, as a station is known from its first incident on.
            foreach (var plan in plans.OrderBy(p => p.Day).ThenBy(p => p.Minute))
            {
                stored.Add((await PlayAsync(store, plan), plan));
            }

            clock.Reset(FirstRead);

            // The shift-report run digests the last three days (its catch-up); the first report digests the two before them.
            await new ShiftReporter(queries, new TableShiftReportLedger(table), new DroppedReports(), clock, London, digests).RunAsync(default);
            // A station is known from its first incident; the shift report skips the days before it, a report digests every ended day.
            var firstDays = plans.GroupBy(p => p.Station).Select(g => g.Min(p => p.Day)).ToList();
            var lastEnded = FirstDay.PlusDays(4);
            Assert.Equal(firstDays.Sum(first => Enumerable.Range(2, 3).Count(day => day >= first)), await CountUsableAsync(digests, FirstDay, lastEnded));
            await AssertSameFiguresAsync(queries, digests, clock);
            var all = firstDays.Count * 5;
            Assert.Equal(all, await CountUsableAsync(digests, FirstDay, lastEnded));

            // Late changes to ended days mark their digests changed in their own transactions; the next report rewrites them.
            clock.Advance(Duration.FromHours(1));
            var touched = new HashSet<(StationId, LocalDate)>();
            foreach (var (incident, plan) in stored.Where(s => s.Plan.Late > 0 && s.Plan.Day < 5))
            {
                if (await ContinueAsync(store, incident, plan.Steps, plan.Late, clock.GetCurrentInstant(), plan))
                {
                    touched.Add((Stations[plan.Station], FirstDay.PlusDays(plan.Day)));
                }
            }

            Assert.Equal(all - touched.Count, await CountUsableAsync(digests, FirstDay, lastEnded));
            // Over every station the days are read from their copies, which the changes marked just before committing; read
            // once the late steps (up to 5 × 25 minutes after the hour) are past, as a clock's holder is who holds it now.
            clock.Advance(Duration.FromHours(3));
            await AssertSameFiguresAsync(queries, digests, clock, [ReportScope.All]);
            clock.Advance(Duration.FromDays(2)); // running clocks go past their deadlines: breached and overdue as of the read, digest or not
            await AssertSameFiguresAsync(queries, digests, clock);
            Assert.Equal(all, await CountUsableAsync(digests, FirstDay, lastEnded));
            Assert.Equal(all, await CountCopiesAsync(digests, FirstDay, lastEnded)); // the changes settled: every copy written again and used
        }, iter: 6, threads: 1, print: plans => string.Join("; ", plans.Select(p => p.ToString())));

    [Fact]
    public async Task A_unit_diverted_off_an_ended_days_incident_marks_that_days_digest_changed_in_the_same_transaction()
    {
        var clock = new FakeClock(FirstRead);
        var (_, store, queries, digests) = NewTable(clock);

        // A P3 reported at 23:50 on 27 October (London) is still dispatched to patrol-7 the next noon, when the digests are read.
        var lateEvening = Instant.FromUtc(2026, 10, 27, 23, 50);
        var minor = await OpenAsync(store, World.Report(World.Beilin, Priority.P3, "theft", Zone.Urban), lateEvening);
        minor = await store.SaveAsync(minor, minor.Incident.Dispatch("patrol-7", World.Officer, lateEvening + Duration.FromMinutes(2), World.Dispatcher), null, default);
        var reports = new ReportService(queries, clock, London, digests);
        var day = new LocalDate(2026, 10, 27);
        await reports.ResponseTimesAsync(new World(London).AsCommandCenter(), new ReportScope(World.Beilin), reports.Range(day, day.PlusDays(1)), ClockKind.Arrival, GroupBy.Unit, default);
        Assert.Equal(1, await CountUsableAsync(digests, day, day)); // the report digested the ended day

        // Today's P1 takes patrol-7: the P3 of 27 October records the diversion in the P1's transaction, so its day changed.
        var urgent = await OpenAsync(store, World.Report(World.Beilin, Priority.P1, "fight", Zone.Urban), FirstRead);
        var divert = urgent.Incident.Dispatch("patrol-7", World.Officer, FirstRead + Duration.FromMinutes(1), World.Dispatcher) with
        {
            Alongside = [(minor, minor.Incident.Divert("patrol-7", urgent.Incident.Id, FirstRead + Duration.FromMinutes(1), World.Dispatcher))],
        };
        await store.SaveAsync(urgent, divert, null, default);

        Assert.Equal(0, await CountUsableAsync(digests, day, day));
    }

    private static async Task<StoredIncident> OpenAsync(TableIncidentStore store, IncidentReport report, Instant at)
    {
        var opened = Dispatch.Core.Incidents.Incident.Open(IncidentId.New(report.Station, at), report, London, at, World.Dispatcher);
        return (await store.CreateAsync(opened, null, Audit(report.Station, opened.Incident.Id, at), default)).Stored!;
    }

    /// <summary>A table of its own on the shared Azurite, and the store, queries and digests over it.</summary>
    private (DispatchTable Table, TableIncidentStore Store, TableIncidentQueries Queries, TableDayDigests Digests) NewTable(IClock clock)
    {
        var table = new DispatchTable(new TableServiceClient(azurite.ConnectionString), "digest" + Guid.NewGuid().ToString("N")[..12],
            new DependencyMonitor(new FakeClock(FirstRead), NullLogger<DependencyMonitor>.Instance));
        return (table, new TableIncidentStore(table, London, clock), new TableIncidentQueries(table), new TableDayDigests(table, London, clock));
    }

    [Fact]
    public async Task A_late_change_after_the_days_copy_was_written_is_never_read_from_that_copy()
    {
        // A P1 reported at 23:50 on 27 October (London, UTC+0 then) and dispatched at 23:52; nobody has arrived when the digests are read.
        var lateEvening = Instant.FromUtc(2026, 10, 27, 23, 50);
        var clock = new FakeClock(lateEvening);
        var (_, store, queries, digests) = NewTable(clock);
        var minor = await OpenAsync(store, World.Report(World.Beilin, Priority.P1, "fight", Zone.Urban), lateEvening);
        minor = await store.SaveAsync(minor, minor.Incident.Dispatch("patrol-7", World.Officer, lateEvening + Duration.FromMinutes(2), World.Dispatcher), null, default);
        await OpenAsync(store, World.Report(World.Yanta, Priority.P3, "theft", Zone.Urban), lateEvening);
        clock.Reset(FirstRead);
        var reports = new ReportService(queries, clock, London, digests);
        var call = new World(London).AsCommandCenter();
        var day = new LocalDate(2026, 10, 27);
        var range = reports.Range(day, day);
        var before = await reports.ResponseTimesAsync(call, ReportScope.All, range, ClockKind.Arrival, GroupBy.Station, default);
        Assert.Equal(0, before.Total.N); // no arrival yet
        Assert.Equal(2, (await digests.ReadDayAsync(day, ClockKind.Arrival, GroupBy.Station, default)).Count); // both stations' copies written and usable

        // A minute later patrol-7 arrives: a change to an ended day, after its copy was written.
        clock.Advance(Duration.FromMinutes(1));
        await store.SaveAsync(minor, minor.Incident.Arrive(clock.GetCurrentInstant(), World.Officer), null, default);

        // Hand-computed: one arrival, 12 h 11 min after the report (23:50 to 12:01 the next day).
        var after = await reports.ResponseTimesAsync(call, ReportScope.All, range, ClockKind.Arrival, GroupBy.Station, default);
        Assert.Equal(1, after.Total.N);
        Assert.Equal(Duration.FromMinutes(12 * 60 + 11), after.Total.Median);
        // Beilin's copy, written again from the rewritten digest, still waits for the change to settle.
        Assert.Equal([World.Yanta], (await digests.ReadDayAsync(day, ClockKind.Arrival, GroupBy.Station, default)).Keys);

        // Once the change has settled, the next report over every station copies Beilin's rewritten digest again and reads it.
        clock.Advance(TableDayDigests.Settle + Duration.FromSeconds(1));
        await reports.ResponseTimesAsync(call, ReportScope.All, range, ClockKind.Arrival, GroupBy.Station, default);
        var copies = await digests.ReadDayAsync(day, ClockKind.Arrival, GroupBy.Station, default);
        Assert.Equal(2, copies.Count);
        Assert.Single(copies[World.Beilin].Total.Durations);
        Assert.Equal(1, (await reports.ResponseTimesAsync(call, ReportScope.All, range, ClockKind.Arrival, GroupBy.Station, default)).Total.N);
    }

    private static async Task AssertSameFiguresAsync(TableIncidentQueries queries, TableDayDigests digests, FakeClock clock, ReportScope[]? scopes = null)
    {
        var digested = new ReportService(queries, clock, London, digests);
        var everyIncident = new ReportService(queries, clock, London);
        var call = new World(London).AsCommandCenter();
        var range = digested.Range(FirstDay, FirstDay.PlusDays(5));
        foreach (var scope in scopes ?? [ReportScope.All, new ReportScope(World.Beilin)])
        {
            foreach (var kind in DayDigest.ClockKinds)
            {
                foreach (var by in Enum.GetValues<GroupBy>())
                {
                    var expected = await everyIncident.ResponseTimesAsync(call, scope, range, kind, by, default);
                    var actual = await digested.ResponseTimesAsync(call, scope, range, kind, by, default);
                    Assert.Equal(JsonSerializer.Serialize(expected, Json.Options), JsonSerializer.Serialize(actual, Json.Options));
                }
            }
        }
    }

    private static async Task<int> CountUsableAsync(TableDayDigests digests, LocalDate first, LocalDate last)
    {
        var usable = 0;
        foreach (var station in Stations)
        {
            usable += (await digests.ReadAsync(station, first, last, ClockKind.Arrival, GroupBy.Unit, default)).Values.Count(d => d.Slice is not null);
        }

        return usable;
    }

    /// <summary>The usable copies of the days' digests, every station's, as a report over every station reads them.</summary>
    private static async Task<int> CountCopiesAsync(TableDayDigests digests, LocalDate first, LocalDate last)
    {
        var usable = 0;
        for (var day = first; day <= last; day = day.PlusDays(1))
        {
            usable += (await digests.ReadDayAsync(day, ClockKind.Arrival, GroupBy.Unit, default)).Count;
        }

        return usable;
    }

    private static async Task<StoredIncident> PlayAsync(TableIncidentStore store, Plan plan)
    {
        var day = FirstDay.PlusDays(plan.Day);
        var reported = London.TimeZone.AtLeniently(day.At(new LocalTime(8, 0))).ToInstant() + Duration.FromMinutes(plan.Minute) + Duration.FromMilliseconds(plan.Gaps[5]);
        var station = Stations[plan.Station];
        var report = World.Report(station, (Priority)(plan.Priority + 1), plan.Category == 0 ? "theft" : "fight", plan.Zone == 0 ? Zone.Urban : Zone.Rural);
        var opened = Dispatch.Core.Incidents.Incident.Open(IncidentId.New(station, reported), report, London, reported, World.Dispatcher);
        var created = await store.CreateAsync(opened, null, Audit(station, opened.Incident.Id, reported), default);
        var incident = created.Stored!;
        await ContinueAsync(store, incident, 0, plan.Steps, reported, plan);
        return (await store.FindAsync(incident.Incident.Id, default))!;
    }

    /// <summary>Steps <paramref name="from"/> onwards of the script dispatch, arrive, resolve, close (or cancel), a sweep and an acknowledgement before some.</summary>
    /// <returns>Whether anything changed.</returns>
    private static async Task<bool> ContinueAsync(TableIncidentStore store, StoredIncident incident, int from, int count, Instant at, Plan plan)
    {
        var changed = false;
        for (var step = from; step < from + count && step < 5; step++)
        {
            var gap = Duration.FromSeconds(plan.Gaps[step]);
            var phase = step switch { 0 => ClockKind.Dispatch, 1 => ClockKind.Arrival, _ => ClockKind.Resolution };
            var pauseAt = at + gap / 3;
            if ((plan.Pauses & (1 << step)) != 0 && incident.Incident.IsOpen && incident.Incident.Clocks[phase] is { IsOpen: true, IsPaused: false } open && pauseAt < open.Deadline)
            {
                var reason = PauseRules.Default.Reasons[step % PauseRules.Default.Reasons.Count];
                incident = await store.SaveAsync(incident, incident.Incident.Pause(phase, reason, null, pauseAt, World.DutyOfficer, PauseRules.Default.TellChiefAfter), null, default);
                changed = true;
                if ((plan.Resumes & (1 << step)) != 0)
                {
                    incident = await store.SaveAsync(incident, incident.Incident.Resume(phase, at + gap * 2 / 3, World.DutyOfficer), null, default);
                }
            }

            at += gap;
            if ((plan.Sweeps & (1 << step)) != 0 && incident.Incident.Sweep(at) is { Events.Count: > 0 } swept)
            {
                incident = await store.SaveAsync(incident, swept, null, default);
                changed = true;
                if ((plan.Acks & (1 << step)) != 0 && incident.Incident.Allows(IncidentAction.Acknowledge))
                {
                    incident = await store.SaveAsync(incident, incident.Incident.Acknowledge(null, _ => true, at, World.DutyOfficer), null, default);
                }
            }

            var unit = plan.Unit == 0 ? "patrol-7" : "patrol-5";
            var officer = plan.Unit == 0 ? World.Officer : World.OtherOfficer;
            var current = incident.Incident;
            Transition? next = (step, plan.Cancel && step == plan.Steps) switch
            {
                (_, true) when current.Allows(IncidentAction.Cancel) => current.Cancel("duplicate", at, World.DutyOfficer),
                (0, false) when current.Allows(IncidentAction.Dispatch) => current.Dispatch(unit, officer, at, World.Dispatcher),
                (1, false) when current.Allows(IncidentAction.Arrive) => current.Arrive(at, officer),
                (2, false) when current.Allows(IncidentAction.Resolve) => current.Resolve("settled", at, officer),
                (3, false) when current.Allows(IncidentAction.Close) => current.Close(at, World.DutyOfficer),
                _ => null,
            };
            if (next is not null)
            {
                incident = await store.SaveAsync(incident, next, null, default);
                changed = true;
            }
        }

        return changed;
    }

    private static Dispatch.Core.Audit.AuditRecord Audit(StationId station, IncidentId incident, Instant at) =>
        new(Guid.NewGuid().ToString("N"), at, World.Dispatcher.Subject, World.Dispatcher.Name, [], "CreateIncident", station, incident, "create",
            Dispatch.Core.Audit.AuditOutcome.Changed, null, "test");

    private sealed class DroppedReports : IShiftReportPublisher
    {
        public Task PublishAsync(ShiftReport report, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
