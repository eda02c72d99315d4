using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>The relay and the sweep where their counts and times matter: several notices, partial failures, the entry limit.</summary>
public sealed class RelayEdgeTests
{
    private readonly World world = new();

    /// <summary>Puts notices in the incident's outbox as a commit would, without sending them.</summary>
    private async Task<IReadOnlyList<Notice>> CommitNoticesAsync(IncidentId id, params int[] levels)
    {
        var stored = await world.Store.FindAsync(id, default);
        var now = world.Clock.GetCurrentInstant();
        var notices = levels.Select(level => new Notice(id, id.Station, "theft", Priority.P1, "1 Bell Tower Square", ClockKind.Dispatch,
            NoticeKind.Escalation, level, Audience.Chief, now, now, now, Duration.Zero, Identity.Person.Sweep)).ToList();
        await world.Store.SaveAsync(stored!, new Transition(stored!.Incident, [], notices), null, default);
        return notices;
    }

    [Fact]
    public async Task When_every_notice_of_a_commit_fails_each_is_kept_for_a_retry_a_second_later()
    {
        var id = await world.ReportAsync();
        var notices = await CommitNoticesAsync(id, 1, 2);
        world.Publisher.Fails = (_, _) => true;
        var entry = DueEntry.ForNotices(id, World.T0 + NoticeRelay.RecoveryDelay, World.T0);
        await world.Index.AddAsync([entry], default);

        var report = await world.Relay.SendCommittedAsync(id, notices, entry, default);

        Assert.Equal(new RelayReport(0, 2), report);
        Assert.All(world.Store.Outbox, o => Assert.Equal((1, World.T0 + Duration.FromSeconds(1)), (o.Attempts, o.NextAttempt)));
        Assert.Equal(2, world.Store.Outbox.Count);
        var moved = Assert.Single(world.Index.Of(id), e => e.Reason == DueReason.Notices);
        Assert.Equal(World.T0 + Duration.FromSeconds(1), moved.At);
    }

    [Fact]
    public async Task A_recovery_sends_what_it_can_counts_each_and_moves_its_entry_to_the_earliest_retry()
    {
        var id = await world.ReportAsync();
        var notices = await CommitNoticesAsync(id, 1, 2, 3);
        var pending = await world.Store.PendingAsync(id, default);
        await world.Store.PostponeAsync(pending.Single(p => p.Notice.Level == 3), World.T0 + Duration.FromSeconds(90), default);
        world.Publisher.Fails = (notice, _) => notice.Level == 2;
        var entry = DueEntry.ForNotices(id, World.T0, World.T0);
        await world.Index.AddAsync([entry], default);

        var report = await world.Relay.RecoverAsync(entry, default);

        Assert.Equal(new RelayReport(1, 1), report);
        Assert.Equal([notices[0].MessageId], world.SentIds);
        Assert.Equal(
            [(2, 1, World.T0 + Duration.FromSeconds(1)), (3, 1, World.T0 + Duration.FromSeconds(90))],
            world.Store.Outbox.Select(o => (o.Notice.Level, o.Attempts, o.NextAttempt)).OrderBy(o => o.Level));
        var moved = Assert.Single(world.Index.Of(id), e => e.Reason == DueReason.Notices);
        Assert.Equal(World.T0 + Duration.FromSeconds(1), moved.At);
    }

    [Fact]
    public async Task A_recovery_that_sends_everything_retires_its_entry()
    {
        var id = await world.ReportAsync();
        await CommitNoticesAsync(id, 1, 2);
        var entry = DueEntry.ForNotices(id, World.T0, World.T0);
        await world.Index.AddAsync([entry], default);

        var report = await world.Relay.RecoverAsync(entry, default);

        Assert.Equal(new RelayReport(2, 0), report);
        Assert.Empty(world.Store.Outbox);
        Assert.DoesNotContain(world.Index.Of(id), e => e.Reason == DueReason.Notices);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]
    [InlineData(40, 300)]
    public void Backoff_doubles_from_one_second_and_stops_at_five_minutes(int attempts, int seconds) =>
        Assert.Equal(Duration.FromSeconds(seconds), NoticeRelay.Backoff(attempts));

    [Fact]
    public async Task A_sweep_reports_what_it_found_did_and_sent()
    {
        var id = await world.ReportAsync();
        world.Clock.Advance(Duration.FromMinutes(1));

        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((1, 1, 1, 0, 1, 1, new RelayReport(1, 0), false),
            (report.Entries, report.Due, report.Changed, report.Conflicts, report.Notices, report.Reindexed, report.Relay, report.Truncated));
        Assert.Equal([DueEntry.ForClock(id, World.T0 + Duration.FromSeconds(150))], world.Index.Of(id));
    }

    [Fact]
    public async Task A_sweep_stops_at_its_entry_limit_and_says_so()
    {
        var ghosts = Enumerable.Range(0, Sweeper.MaxEntries + 1)
            .Select(i => DueEntry.ForClock(IncidentId.New(World.Beilin, World.T0 - Duration.FromMilliseconds(i)), World.T0)).ToList();
        await world.Index.AddAsync(ghosts[..(Sweeper.MaxEntries - 1)], default);

        var under = await world.Sweeper.SweepAsync(default);
        await world.Index.AddAsync(ghosts[(Sweeper.MaxEntries - 1)..], default);
        var at = await world.Sweeper.SweepAsync(default);

        Assert.Equal((Sweeper.MaxEntries - 1, false), (under.Entries, under.Truncated));
        Assert.Equal((Sweeper.MaxEntries, true), (at.Entries, at.Truncated));
    }

    [Fact]
    public async Task An_entry_whose_incident_never_arrived_is_dropped_only_once_it_is_older_than_two_minutes()
    {
        var ghost = DueEntry.ForClock(IncidentId.New(World.Beilin, World.T0), World.T0);
        await world.Index.AddAsync([ghost], default);

        world.Clock.Advance(Sweeper.OrphanAfter);
        await world.Sweeper.SweepAsync(default);
        var kept = world.Index.Entries.Count;
        world.Clock.Advance(Duration.FromMilliseconds(1));
        await world.Sweeper.SweepAsync(default);

        Assert.Equal(1, kept);
        Assert.Empty(world.Index.Entries);
    }

    [Fact]
    public async Task A_notices_entry_alone_sends_notices_and_leaves_the_clocks_to_their_own_entries()
    {
        var id = await world.ReportAsync();
        var clockEntry = Assert.Single(world.Index.Of(id));
        await world.Index.ReplaceAsync(clockEntry, DueEntry.ForNotices(id, World.T0, World.T0), default);
        world.Clock.Advance(Duration.FromMinutes(5));

        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal((0, 0), (report.Due, report.Changed));
        Assert.Equal(1, world.Get(id).Version);
    }

    [Fact]
    public async Task Several_stale_entries_of_one_incident_become_one()
    {
        var id = await world.ReportAsync();
        await world.Index.AddAsync([DueEntry.ForClock(id, World.T0 + Duration.FromSeconds(1)), DueEntry.ForClock(id, World.T0 + Duration.FromSeconds(2))], default);
        var written = new List<DueEntry>();
        world.Index.BeforeChange = (_, added) =>
        {
            if (added is not null)
            {
                written.Add(added);
            }

            return Task.CompletedTask;
        };
        world.Clock.Advance(Duration.FromSeconds(10));

        var report = await world.Sweeper.SweepAsync(default);

        Assert.Equal(2, report.Reindexed);
        Assert.Equal([DueEntry.ForClock(id, World.T0 + Duration.FromSeconds(30))], world.Index.Of(id));
        Assert.Equal([DueEntry.ForClock(id, World.T0 + Duration.FromSeconds(30))], written);
    }
}
