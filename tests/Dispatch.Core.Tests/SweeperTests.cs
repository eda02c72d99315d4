using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>
/// The sweep and the relay on in-memory ports: the due index protocol (never late, never missing), crashes at
/// every step, racing sweeps, outages, and what a sweep costs.
/// </summary>
public sealed class SweeperTests
{
    private readonly World world = new();

    [Fact]
    public async Task A_breach_is_recorded_sent_and_re_indexed_to_the_next_rung()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1));

        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((1, 1, 0, 0), (report.Due, report.Changed, report.Conflicts, report.Relay.Failed));
        Assert.Equal(report.Notices, report.Relay.Sent);
        Assert.Contains($"{id.Value}:dispatch:escalation:1", world.SentIds);
        var incident = world.Get(id);
        Assert.Equal(1, incident.Clocks.Dispatch.Level);
        Assert.Equal([DueEntry.ForClock(id, incident.NextDueAt!.Value)], world.Index.Of(id));
        Assert.Empty(world.Store.Outbox);
    }

    [Fact]
    public async Task Nothing_due_costs_one_index_query_and_no_incident_read()
    {
        for (var i = 0; i < 20; i++)
        {
            await world.ReportAsync(Priority.P4);
        }

        var finds = world.Store.Finds;
        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((0, 0), (report.Entries, report.Due));
        Assert.Equal(1, world.Index.Queries);
        Assert.Equal(finds, world.Store.Finds);
    }

    [Fact]
    public async Task A_transition_leaves_an_early_entry_which_the_sweep_moves_to_the_new_due_time_without_a_change()
    {
        var id = await world.ReportAsync();
        await world.DispatchAsync(id);
        var first = Assert.Single(world.Index.Of(id));
        Assert.Equal(World.T0 + Duration.FromSeconds(30), first.At); // the dispatch clock's warning, now moot

        world.Clock.Advance(Duration.FromSeconds(30));
        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((1, 0, 0, 1), (report.Entries, report.Changed, report.Due, report.Reindexed));
        Assert.Equal(World.T0 + Duration.FromMinutes(2.5), Assert.Single(world.Index.Of(id)).At); // the arrival warning
        Assert.Empty(world.Publisher.Sent);
    }

    [Fact]
    public async Task Due_times_never_move_earlier_whatever_happens_to_an_incident()
    {
        var random = new Random(20261128);
        for (var run = 0; run < 200; run++)
        {
            var report = World.Report(priority: (Priority)random.Next(1, 5), zone: (Zone)random.Next(0, 3));
            var now = World.T0;
            var incident = Incident.Open(IncidentId.New(World.Beilin, now), report, ResponsePolicy.Default, now, World.Dispatcher).Incident;
            for (var step = 0; step < 12 && incident.NextDueAt is { } before; step++)
            {
                now += Duration.FromSeconds(random.Next(1, 900));
                var next = random.Next(7) switch
                {
                    0 => Try(() => incident.Dispatch("patrol-7", World.Officer, now, World.Dispatcher)),
                    1 => Try(() => incident.Arrive(now, World.Officer)),
                    2 => Try(() => incident.Resolve("done", now, World.Officer)),
                    3 => Try(() => incident.Acknowledge(null, _ => true, now, World.Chief)),
                    4 => Try(() => incident.Cancel("x", now, World.Chief)),
                    5 => Try(() => incident.Reassign("patrol-5", World.OtherOfficer, null, now, World.Dispatcher)),
                    _ => incident.Sweep(now),
                };
                incident = next?.Incident ?? incident;
                Assert.True(incident.NextDueAt is null || incident.NextDueAt >= before, $"run {run} step {step}: due moved from {before} to {incident.NextDueAt}");
            }
        }
    }

    [Fact]
    public async Task Entries_for_an_incident_that_never_got_stored_are_dropped_once_clearly_orphaned()
    {
        var ghost = IncidentId.New(World.Beilin, World.T0);
        await world.Index.AddAsync([DueEntry.ForClock(ghost, World.T0)], default);

        world.Clock.Advance(Sweeper.OrphanAfter - Duration.FromSeconds(1));
        await world.Sweeper.SweepAsync(default);
        Assert.Single(world.Index.Of(ghost));

        world.Clock.Advance(Duration.FromSeconds(2));
        await world.Sweeper.SweepAsync(default);
        Assert.Empty(world.Index.Of(ghost));
    }

    [Fact]
    public async Task Two_sweeps_that_really_race_record_each_level_once_and_send_it_once()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1));
        // Both sweeps read the incident, then wait for each other, so both try to save the same level.
        var bothRead = new Barrier(2);
        world.Store.AfterFind = _ => Task.Run(() => bothRead.SignalAndWait(TimeSpan.FromSeconds(10)));

        var reports = await Task.WhenAll(Task.Run(() => world.Sweeper.SweepAsync(default)), Task.Run(() => world.Sweeper.SweepAsync(default)));
        world.Store.AfterFind = null;

        Assert.Equal((1, 1), (reports.Sum(r => r.Changed), reports.Sum(r => r.Conflicts)));
        Assert.Single(world.Store.Events(id), e => e.Details is EventDetails.Escalated { Clock: ClockKind.Dispatch });
        Assert.Single(world.SentIds, m => m == $"{id.Value}:dispatch:escalation:1");
        Assert.Equal(0, (await world.Sweeper.SweepAsync(default)).Relay.Sent);
    }

    [Fact]
    public async Task A_dispatch_racing_the_sweep_at_the_deadline_is_kept_and_a_clock_met_in_time_never_escalates()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromSeconds(59));
        await world.Sweeper.SweepAsync(default); // the 50% and 75% warnings
        world.Clock.Advance(Duration.FromSeconds(1));
        // The sweep reads the incident at the deadline; before it saves, the dispatcher's dispatch lands.
        var dispatched = false;
        world.Store.AfterFind = async found =>
        {
            if (!dispatched)
            {
                dispatched = true;
                world.Store.AfterFind = null;
                await world.Incidents.DispatchAsync(world.Call(World.Dispatcher), found, "patrol-7", World.Officer.Subject, null, default);
            }
        };

        var report = await world.Sweeper.SweepAsync(default);
        var after = await world.Sweeper.SweepAsync(default);

        Assert.Equal(1, report.Conflicts);
        var incident = world.Get(id);
        Assert.Equal(IncidentStatus.Dispatched, incident.Status);
        Assert.Equal(ClockState.Met, incident.Clocks.Dispatch.StateAt(world.Clock.GetCurrentInstant()));
        Assert.Equal(0, incident.Clocks.Dispatch.Level);
        Assert.DoesNotContain(world.SentIds, m => m.Contains(":dispatch:escalation:", StringComparison.Ordinal));
        Assert.Equal(0, after.Changed);
    }

    [Fact]
    public async Task A_sweep_that_dies_on_the_fifth_save_loses_nothing_and_the_next_one_finishes_the_rest()
    {
        var ids = await TenDueAsync();
        var saves = 0;
        world.Store.BeforeSave = _ => Interlocked.Increment(ref saves) == 5 ? throw new StorageUnavailableException("storage went away") : Task.CompletedTask;
        var dying = new Sweeper(world.Store, world.Index, world.Relay, world.Clock) { Parallelism = 1 };

        await Assert.ThrowsAsync<StorageUnavailableException>(() => dying.SweepAsync(default));
        world.Store.BeforeSave = null;
        var second = await world.Sweeper.SweepAsync(default);
        var third = await world.Sweeper.SweepAsync(default);

        Assert.Equal(6, second.Changed); // the five it never reached and the one whose save failed
        Assert.Equal(0, third.Changed + third.Relay.Sent);
        foreach (var id in ids)
        {
            Assert.Single(world.SentIds, m => m == $"{id.Value}:dispatch:escalation:1");
            Assert.Equal(1, world.Get(id).Clocks.Dispatch.Level);
        }

        Assert.Empty(world.Store.Outbox);
    }

    [Fact]
    public async Task A_sweep_that_dies_after_some_of_its_sends_leaves_the_rest_to_the_next_sweep_and_sends_each_once()
    {
        var ids = await TenDueAsync();
        using var crash = new CancellationTokenSource();
        // One incident at a time: each is read, committed and sent before the next is read.
        var dying = SendingFourThenDying(crash, batchSize: 1);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dying.SweepAsync(crash.Token));
        Assert.Equal(4, world.Publisher.Sent.Count);
        var soon = await world.Sweeper.SweepAsync(default);
        world.Clock.Advance(NoticeRelay.RecoveryDelay);
        var recovered = await world.Sweeper.SweepAsync(default);
        var quiet = await world.Sweeper.SweepAsync(default);

        // The crashed sweep committed one incident whose notices it had not sent yet: its notices entry finds it.
        Assert.Equal(1, recovered.Relay.Sent);
        Assert.Equal(0, quiet.Relay.Sent + quiet.Changed);
        foreach (var id in ids)
        {
            Assert.Single(world.SentIds, m => m == $"{id.Value}:dispatch:escalation:1");
        }

        Assert.Empty(world.Store.Outbox);
        Assert.DoesNotContain(world.Index.Entries, e => e.Reason == DueReason.Notices);
        Assert.Equal(5, soon.Changed); // the five the crashed sweep never reached
    }

    [Fact]
    public async Task A_batched_sweep_that_dies_during_its_sends_leaves_the_batch_to_recovery_and_records_each_level_once()
    {
        var ids = await TenDueAsync();
        using var crash = new CancellationTokenSource();
        // The whole batch is read, its notices entries written and every incident committed before the first send.
        var dying = SendingFourThenDying(crash, batchSize: 500);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dying.SweepAsync(crash.Token));
        var soon = await world.Sweeper.SweepAsync(default);
        world.Clock.Advance(NoticeRelay.RecoveryDelay);
        var recovered = await world.Sweeper.SweepAsync(default);
        var quiet = await world.Sweeper.SweepAsync(default);

        Assert.Equal((0, 0, 0), (soon.Entries, soon.Changed, soon.Reindexed)); // committed, and moved on while the notices went out
        // The station's outbox rows go in one request after its sends, so the four sent before the crash were still
        // there: recovery sends all ten, and the topic's duplicate detection drops the four repeats.
        Assert.Equal(10, recovered.Relay.Sent);
        Assert.Equal(0, quiet.Relay.Sent + quiet.Changed);
        foreach (var id in ids)
        {
            Assert.Single(world.Store.Events(id), e => e.Kind == EventKind.Escalated);
            Assert.InRange(world.SentIds.Count(m => m == $"{id.Value}:dispatch:escalation:1"), 1, 2);
            Assert.Equal([DueEntry.ForClock(id, world.Get(id).NextDueAt!.Value)], world.Index.Of(id));
        }

        Assert.Empty(world.Store.Outbox);
    }

    [Fact]
    public async Task A_batch_whose_index_update_fails_part_way_loses_no_entry_and_the_next_sweep_records_nothing_twice()
    {
        var ids = await TenDueAsync();
        var swaps = 0;
        world.Index.BeforeChange = (old, _) =>
            old?.Reason == DueReason.Clock && Interlocked.Increment(ref swaps) == 5 ? throw new StorageUnavailableException("storage went away") : Task.CompletedTask;

        await Assert.ThrowsAsync<StorageUnavailableException>(() => world.Sweeper.SweepAsync(default));
        world.Index.BeforeChange = null;
        var next = await world.Sweeper.SweepAsync(default);
        world.Clock.Advance(NoticeRelay.RecoveryDelay);
        var recovered = await world.Sweeper.SweepAsync(default);

        Assert.Equal(10, world.Publisher.Sent.Count); // the notices went out before the failure
        Assert.Equal((0, 6), (next.Changed, next.Reindexed)); // four entries had moved; six stale ones move now
        Assert.Equal(0, recovered.Relay.Sent); // the notices entries the failure left find nothing waiting
        foreach (var id in ids)
        {
            Assert.Single(world.Store.Events(id), e => e.Kind == EventKind.Escalated);
            Assert.Single(world.SentIds, m => m == $"{id.Value}:dispatch:escalation:1");
            Assert.Equal([DueEntry.ForClock(id, world.Get(id).NextDueAt!.Value)], world.Index.Of(id));
        }
    }

    [Fact]
    public async Task When_a_batchs_notices_entries_cannot_all_be_written_nothing_of_it_commits()
    {
        var ids = await TenDueAsync();
        var written = 0;
        world.Index.BeforeChange = (old, added) =>
            old is null && added?.Reason == DueReason.Notices && Interlocked.Increment(ref written) == 3 ? throw new StorageUnavailableException("storage went away") : Task.CompletedTask;
        var saves = world.Store.Saves;

        await Assert.ThrowsAsync<StorageUnavailableException>(() => world.Sweeper.SweepAsync(default));
        Assert.Equal(saves, world.Store.Saves);
        world.Index.BeforeChange = null;
        var next = await world.Sweeper.SweepAsync(default);

        Assert.Equal(10, next.Changed);
        foreach (var id in ids)
        {
            Assert.Single(world.Store.Events(id), e => e.Kind == EventKind.Escalated);
            Assert.Single(world.SentIds, m => m == $"{id.Value}:dispatch:escalation:1");
        }
    }

    [Fact]
    public async Task A_batch_hands_its_index_writes_over_together_and_removes_sent_notices_a_station_at_a_time()
    {
        world.Roster.Add(new Membership(World.Yanta, World.Dispatcher, StationRole.Dispatcher, null));
        for (var i = 0; i < 30; i++)
        {
            await world.ReportAsync(station: i % 3 == 0 ? World.Yanta : World.Beilin);
        }

        world.Clock.Advance(Duration.FromMinutes(1));
        var (adds, batches) = (world.Index.Adds, world.Index.Batches);

        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((30, 30), (report.Changed, report.Relay.Sent));
        // One write of the thirty notices entries; one hand-over of the thirty clock entries' moves, one of the
        // notices entries' retirement (the index splits each by partition into requests of up to 100).
        Assert.Equal((1, 2), (world.Index.Adds - adds, world.Index.Batches - batches));
        Assert.Equal(2, world.Store.Removals.Count);
        Assert.All(world.Store.Removals, stations => Assert.Single(stations));
    }

    [Fact]
    public async Task A_service_bus_outage_keeps_every_notice_backs_off_longer_each_time_and_sends_each_once_when_it_returns()
    {
        var ids = new[] { await world.ReportAsync(), await world.ReportAsync(), await world.ReportAsync() };
        world.Publisher.Fails = (_, _) => true;
        world.Clock.Advance(Duration.FromMinutes(1));

        var down = await world.Sweeper.SweepAsync(default);
        Assert.Equal(0, down.Relay.Sent);
        Assert.All(world.Store.Outbox, o => Assert.Equal(1, o.Attempts));
        var delays = new List<Duration>();
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var next = world.Store.Outbox.Min(o => o.NextAttempt);
            delays.Add(next - world.Clock.GetCurrentInstant());
            world.Clock.Reset(next);
            Assert.True((await world.Sweeper.SweepAsync(default)).Relay.Failed > 0);
        }

        Assert.Equal([Duration.FromSeconds(1), Duration.FromSeconds(2), Duration.FromSeconds(4), Duration.FromSeconds(8)], delays);
        Assert.All(world.Store.Outbox, o => Assert.Equal(5, o.Attempts));
        world.Publisher.Fails = null;
        world.Clock.Reset(world.Store.Outbox.Min(o => o.NextAttempt));
        var up = await world.Sweeper.SweepAsync(default);

        Assert.Equal(down.Notices, up.Relay.Sent);
        Assert.Empty(world.Store.Outbox);
        foreach (var id in ids)
        {
            Assert.Single(world.SentIds, m => m == $"{id.Value}:dispatch:escalation:1");
        }
    }

    [Fact]
    public async Task After_downtime_the_first_sweep_records_every_missed_rung_and_a_second_sends_nothing()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(12));

        var report = await world.Sweeper.SweepAsync(default);
        var second = await world.Sweeper.SweepAsync(default);

        Assert.Equal(1, report.Changed);
        Assert.Contains($"{id.Value}:dispatch:escalation:3", world.SentIds);
        Assert.DoesNotContain($"{id.Value}:dispatch:warning:1", world.SentIds);
        Assert.Equal(0, second.Notices + second.Relay.Sent);
    }

    [Fact]
    public async Task A_burst_of_incidents_all_due_at_once_is_cleared_in_one_sweep_with_each_level_once()
    {
        for (var i = 0; i < 300; i++)
        {
            await world.ReportAsync(Priority.P3);
        }

        world.Clock.Advance(Duration.FromMinutes(8));
        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((300, 300, 300), (report.Due, report.Changed, report.Relay.Sent));
        Assert.Equal(300, world.SentIds.Distinct().Count());
        Assert.Equal(300, world.Index.Entries.Count);
        Assert.All(world.Index.Entries, e => Assert.True(e.At > world.Clock.GetCurrentInstant()));
    }

    [Fact]
    public async Task An_incident_that_finished_leaves_the_index()
    {
        var id = await world.ReportAsync();
        await world.Incidents.CancelAsync(world.Call(World.Chief), id, "hoax", null, default);
        world.Clock.Advance(Duration.FromMinutes(1));

        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal(1, report.Reindexed);
        Assert.Empty(world.Index.Of(id));
    }

    [Fact]
    public async Task The_oldest_waiting_notice_tells_how_far_sending_is_behind()
    {
        world.Publisher.Fails = (_, _) => true;
        await world.Incidents.ReportAsync(world.Call(World.Dispatcher), World.Report(category: "homicide"), null, default);
        world.Clock.Advance(Duration.FromMinutes(3));

        var (count, oldest) = await world.Index.PendingNoticesAsync(default);

        Assert.Equal((1, World.T0), (count, oldest));
    }

    /// <summary>Ten incidents reported, then a minute: each one's dispatch clock has breached.</summary>
    private async Task<List<IncidentId>> TenDueAsync()
    {
        var ids = new List<IncidentId>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await world.ReportAsync());
        }

        world.Clock.Advance(Duration.FromMinutes(1));
        return ids;
    }

    /// <summary>A sweep, one request at a time, whose process dies at its fifth send.</summary>
    private Sweeper SendingFourThenDying(CancellationTokenSource crash, int batchSize) =>
        new(world.Store, world.Index, new NoticeRelay(world.Store, new CrashAfter(world.Publisher, 4, crash), world.Index, world.Clock), world.Clock)
        {
            Parallelism = 1,
            BatchSize = batchSize,
        };

    private static Transition? Try(Func<Transition> change)
    {
        try
        {
            return change();
        }
        catch (InvalidTransitionException)
        {
            return null;
        }
    }

    /// <summary>Sends for real until the n-th send, then the "process" dies.</summary>
    private sealed class CrashAfter(INoticePublisher inner, int sends, CancellationTokenSource crash) : INoticePublisher
    {
        private int count;

        public async Task PublishAsync(Notice notice, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref count) > sends)
            {
                await crash.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            await inner.PublishAsync(notice, cancellationToken);
        }
    }
}
