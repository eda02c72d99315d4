using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Storage;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The writes the sweep batches, on real Azurite: index entries of one partition move in transactions of up to
/// 100 actions, a station's sent notices leave its outbox together, and a row another sweep removed first does
/// not stop the rest.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class BatchedStorageTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost api = null!;

    public async Task InitializeAsync() => api = await ApiHost.StartAsync(azurite.ConnectionString);

    public async Task DisposeAsync() => await api.DisposeAsync();

    private IDueIndex Index => api.Service<IDueIndex>();

    [Fact]
    public async Task Hundreds_of_index_entries_move_in_a_few_requests_and_all_move_when_another_sweep_removed_some_first()
    {
        var t0 = api.Clock.GetCurrentInstant();
        var entries = Enumerable.Range(0, 250).Select(i => DueEntry.ForClock(IncidentId.New(StationId.Parse("batch-01"), t0 - Duration.FromMilliseconds(i)), t0)).ToList();
        await Index.AddAsync(entries, default);
        Assert.Equal(entries.ToHashSet(), (await AllAsync()).ToHashSet());

        var later = entries.Select(e => e with { At = t0 + Duration.FromMinutes(1) }).ToList();
        using (var counted = RequestCounter.Begin())
        {
            await Index.ReplaceAllAsync([.. entries.Zip(later, (old, next) => new DueReplacement(old, next))], default);
            // 250 pairs of actions (the new entry in, the old out) over the 4 index partitions, at most 50 pairs a
            // transaction: ⌈2n/100⌉ requests for a partition of n, at most 2·250/100 + 4 = 9 for all four.
            Assert.InRange(counted.Requests, 1, 9);
        }

        Assert.Equal(later.ToHashSet(), (await AllAsync()).ToHashSet());

        // Another sweep got to three of them first: their transactions fail as a whole (404) and go again row by row.
        foreach (var gone in later.Take(3))
        {
            await Index.ReplaceAsync(gone, null, default);
        }

        var latest = later.Select(e => e with { At = t0 + Duration.FromMinutes(2) }).ToList();
        await Index.ReplaceAllAsync([.. later.Zip(latest, (old, next) => new DueReplacement(old, next))], default);

        Assert.Equal(latest.ToHashSet(), (await AllAsync()).ToHashSet());
    }

    [Fact]
    public async Task A_stations_sent_notices_leave_its_outbox_in_one_request_and_all_leave_when_one_was_removed_first()
    {
        var outbox = api.Service<INoticeOutbox>();
        var (a, b) = (ApiHost.NewStation(), ApiHost.NewStation());
        var first = await CommitNoticesAsync(a, 1, 40);
        var other = await CommitNoticesAsync(b, 1, 40);

        using (var counted = RequestCounter.Begin())
        {
            await outbox.RemoveAsync([.. first.Notices, .. other.Notices], default);
            Assert.Equal(2, counted.Requests); // one transaction per station
        }

        Assert.Empty(await outbox.PendingAsync(first.Incident, default));
        Assert.Empty(await outbox.PendingAsync(other.Incident, default));

        // 150 notices of one station (two transactions), one of them removed by another relay already.
        var many = new[] { await CommitNoticesAsync(a, 1, 50), await CommitNoticesAsync(a, 1, 50), await CommitNoticesAsync(a, 1, 50) };
        await outbox.RemoveAsync([many[1].Notices[7]], default);
        await outbox.RemoveAsync([.. many.SelectMany(m => m.Notices)], default);

        foreach (var committed in many)
        {
            Assert.Empty(await outbox.PendingAsync(committed.Incident, default));
        }
    }

    [Fact]
    public async Task A_stations_sweep_commits_share_a_transaction_and_one_that_lost_a_race_costs_only_itself()
    {
        var station = ApiHost.NewStation();
        var ids = new List<IncidentId>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(IncidentId.Parse((await api.ReportAsync(ApiHost.Report(station, "P1")))["id"]!.GetValue<string>()));
        }

        api.Clock.Advance(Duration.FromMinutes(1)); // past the P1 dispatch deadline: each sweep change records an escalation
        var store = api.Service<IIncidentStore>();
        var now = api.Clock.GetCurrentInstant();
        var read = new List<StoredIncident>();
        foreach (var id in ids)
        {
            read.Add((await store.FindAsync(id, default))!);
        }

        SaveAllResult together;
        using (var counted = RequestCounter.Begin())
        {
            together = await store.SaveAllAsync([.. read.Take(3).Select(s => (s, s.Incident.Sweep(now)))], default);
            Assert.Equal(1, counted.Requests); // three incidents' rows and the station's marker in one transaction
        }

        // Another sweep saves the fifth first; this one still holds the fifth as it read it.
        await store.SaveAsync(read[4], read[4].Incident.Sweep(now), null, default);
        var raced = await store.SaveAllAsync([.. read.Skip(3).Select(s => (s, s.Incident.Sweep(now)))], default);

        Assert.Equal([SaveOutcome.Saved, SaveOutcome.Saved, SaveOutcome.Saved], together.Outcomes);
        Assert.Equal([SaveOutcome.Saved, SaveOutcome.Conflict, SaveOutcome.Saved], raced.Outcomes);
        Assert.Null(together.Failure ?? raced.Failure);
        foreach (var id in ids)
        {
            var events = (await Api.GetAsync(api.Client, $"incidents/{id.Value}/timeline"))["events"]!.AsArray();
            Assert.Single(events, e => e!["kind"]!.GetValue<string>() == "escalated");
        }
    }

    private async Task<IReadOnlyList<DueEntry>> AllAsync() =>
        await Index.DueAsync(api.Clock.GetCurrentInstant() + Duration.FromDays(1), 10_000, default);

    /// <summary>An incident reported through the API, then levels <paramref name="from"/>..<paramref name="to"/> committed to its outbox as a sweep would.</summary>
    private async Task<(IncidentId Incident, IReadOnlyList<Notice> Notices)> CommitNoticesAsync(string station, int from, int to)
    {
        var id = IncidentId.Parse((await api.ReportAsync(ApiHost.Report(station, "P1")))["id"]!.GetValue<string>());
        var store = api.Service<IIncidentStore>();
        var stored = await store.FindAsync(id, default);
        var now = api.Clock.GetCurrentInstant();
        var notices = Enumerable.Range(from, to - from + 1).Select(level => new Notice(id, id.Station, "theft", Priority.P1, "1 Bell Tower Square", ClockKind.Dispatch,
            NoticeKind.Escalation, level, Audience.Chief, now, now, now, Duration.Zero, Person.Sweep)).ToList();
        await store.SaveAsync(stored!, new Transition(stored!.Incident, [], notices), null, default);
        Assert.Equal(notices.Count, (await api.Service<INoticeOutbox>().PendingAsync(id, default)).Count);
        return (id, notices);
    }
}
