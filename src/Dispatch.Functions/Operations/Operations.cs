using Azure;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Settings;
using Dispatch.Functions.Storage;
using Microsoft.Extensions.Options;
using NCrontab;
using NodaTime;

namespace Dispatch.Functions.Operations;

/// <summary>What the last sweep run did and when it finished, kept in the table so any instance can tell.</summary>
public sealed record SweepHeartbeat(Instant CompletedAt, string Result, int Entries, int Changed, int Notices, int Conflicts, double Seconds);

/// <summary>The sweep's heartbeat: one row, <c>_ops</c>/<c>sweep</c>, rewritten by every run (one request a run).</summary>
public sealed class TableOperationsStore(DispatchTable table)
{
    private const string Partition = "_ops";
    private const string SweepRow = "sweep";

    public Task RecordSweepAsync(SweepHeartbeat beat, CancellationToken cancellationToken) =>
        table.RunAsync(() => table.Client.UpsertEntityAsync(new TableEntity(Partition, SweepRow)
        {
            ["CompletedAt"] = beat.CompletedAt.ToDateTimeOffset(),
            ["Result"] = beat.Result,
            ["Entries"] = beat.Entries,
            ["Changed"] = beat.Changed,
            ["Notices"] = beat.Notices,
            ["Conflicts"] = beat.Conflicts,
            ["Seconds"] = beat.Seconds,
        }, TableUpdateMode.Replace, cancellationToken), cancellationToken);

    public async Task<SweepHeartbeat?> LastSweepAsync(CancellationToken cancellationToken)
    {
        var row = await table.RunAsync(() => table.Client.GetEntityIfExistsAsync<TableEntity>(Partition, SweepRow, cancellationToken: cancellationToken), cancellationToken);
        if (!row.HasValue)
        {
            return null;
        }

        var r = row.Value!;
        return new SweepHeartbeat(Instant.FromDateTimeOffset(r.GetDateTimeOffset("CompletedAt")!.Value), r.GetString("Result") ?? "",
            r.GetInt32("Entries") ?? 0, r.GetInt32("Changed") ?? 0, r.GetInt32("Notices") ?? 0, r.GetInt32("Conflicts") ?? 0, r.GetDouble("Seconds") ?? 0);
    }
}

public sealed record SubscriptionState(string Name, int? DeadLettered, Duration? OldestUnread, string? Problem);

public sealed record HealthDetail(
    bool Healthy, IReadOnlyList<string> Problems, Instant Now, bool StorageAnswers, string? StorageProblem,
    bool ServiceBusAnswers, string? ServiceBusProblem, IReadOnlyList<SubscriptionState> Subscriptions,
    SweepHeartbeat? LastSweep, Duration? SweepAge, Duration SweepMaxAge, int OutboxBacklog, Duration? OutboxOldest, Duration OutboxMaxAge,
    IReadOnlyList<DependencyState> Dependencies, IReadOnlyList<(string Function, int Status, int Count)> RequestsLastMinute);

/// <summary>
/// Whether the system is keeping its promises (README, "Operations"): storage and Service Bus answer, the sweep
/// ran within three of its intervals, the outbox drains, no escalation is dead-lettered, someone reads the chief's
/// and the command center's subscriptions.
/// </summary>
public sealed class OperationsService(
    TableOperationsStore operations, IIncidentStore store, IDueIndex index, ServiceBusClient bus, IClock clock,
    IOptions<DispatchSettings> settings, DispatchMetrics metrics, DependencyMonitor monitor)
{
    /// <summary>Where nobody reading shows: messages that wait for a person.</summary>
    private static readonly string[] ReadByPeople = [EscalationTopic.SubscriptionOf(Audience.Chief), EscalationTopic.SubscriptionOf(Audience.CommandCenter)];

    public async Task<HealthDetail> DetailAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var problems = new List<string>();
        string? storageProblem = null;
        SweepHeartbeat? sweep = null;
        (int Count, Instant? OldestSince) outbox = (0, null);
        try
        {
            await store.CheckHealthAsync(cancellationToken);
            sweep = await operations.LastSweepAsync(cancellationToken);
            outbox = await index.PendingNoticesAsync(cancellationToken);
        }
        catch (StorageUnavailableException e)
        {
            storageProblem = e.Message;
            problems.Add($"storage: {e.Message}");
        }

        var sweepMaxAge = SweepMaxAge(now);
        var sweepAge = sweep is null ? (Duration?)null : now - sweep.CompletedAt;
        if (storageProblem is null && (sweepAge is null || sweepAge > sweepMaxAge))
        {
            problems.Add(sweepAge is null ? "the sweep has never completed" : $"the sweep last completed {Format(sweepAge.Value)} ago (more than three intervals, {Format(sweepMaxAge)})");
        }

        var outboxOldest = outbox.OldestSince is { } since ? now - since : (Duration?)null;
        metrics.Outbox(outbox.Count, outboxOldest, now);
        var outboxMaxAge = Duration.FromTimeSpan(settings.Value.OutboxMaxAgeTime);
        if (outboxOldest > outboxMaxAge)
        {
            problems.Add($"the oldest unsent notice is {Format(outboxOldest.Value)} old (limit {Format(outboxMaxAge)})");
        }

        var (busAnswers, busProblem, subscriptions) = await SubscriptionsAsync(now, cancellationToken);
        if (!busAnswers)
        {
            problems.Add($"Service Bus: {busProblem}");
        }

        foreach (var s in subscriptions)
        {
            if (s.DeadLettered > 0)
            {
                problems.Add($"{s.DeadLettered} escalation(s) dead-lettered on '{s.Name}'");
            }

            if (s.OldestUnread > Duration.FromTimeSpan(settings.Value.UnreadMaxAgeTime))
            {
                problems.Add($"nobody has read '{s.Name}' for {Format(s.OldestUnread.Value)}");
            }
        }

        return new HealthDetail(problems.Count == 0, problems, now, storageProblem is null, storageProblem, busAnswers, busProblem, subscriptions,
            sweep, sweepAge, sweepMaxAge, outbox.Count, outboxOldest, outboxMaxAge, monitor.States, metrics.Rates.LastMinute(now));
    }

    /// <summary>Three of the sweep's intervals, as its schedule has them now.</summary>
    public Duration SweepMaxAge(Instant now)
    {
        var schedule = CrontabSchedule.TryParse(settings.Value.SweepSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        if (schedule is null)
        {
            return Duration.FromMinutes(3);
        }

        var first = schedule.GetNextOccurrence(now.ToDateTimeUtc());
        var second = schedule.GetNextOccurrence(first);
        return Duration.FromTimeSpan(3 * (second - first));
    }

    private async Task<(bool Answers, string? Problem, IReadOnlyList<SubscriptionState> States)> SubscriptionsAsync(Instant now, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromSeconds(3));
        var states = new List<SubscriptionState>();
        try
        {
            foreach (var name in EscalationTopic.Subscriptions)
            {
                await using var deadLetters = bus.CreateReceiver(EscalationTopic.Name, name, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
                var dead = await deadLetters.PeekMessagesAsync(100, cancellationToken: budget.Token);
                Duration? oldest = null;
                if (ReadByPeople.Contains(name))
                {
                    await using var active = bus.CreateReceiver(EscalationTopic.Name, name);
                    var first = await active.PeekMessageAsync(cancellationToken: budget.Token);
                    oldest = first is null ? null : now - Instant.FromDateTimeOffset(first.EnqueuedTime);
                }

                states.Add(new SubscriptionState(name, dead.Count, oldest, null));
            }

            monitor.Succeeded(Dependencies.ServiceBus);
            return (true, null, states);
        }
        catch (UnauthorizedAccessException)
        {
            // In Azure the app may only send: it answers, and its dead letters are watched by the alert rules instead.
            return (true, null, [.. EscalationTopic.Subscriptions.Select(s => new SubscriptionState(s, null, null, "not visible to the app (no Listen right); watched by the alert rules"))]);
        }
        catch (Exception e) when (e is ServiceBusException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException && !cancellationToken.IsCancellationRequested)
        {
            var problem = e is OperationCanceledException ? "did not answer within 3 s" : DispatchTable.Describe(e);
            monitor.Failed(Dependencies.ServiceBus, problem);
            return (false, problem, states);
        }
    }

    private static string Format(Duration duration) => Dispatch.Core.IsoDuration.Format(duration);
}
