using Dispatch.Core.Incidents;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Settings;
using Dispatch.Functions.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Timers;

/// <summary>
/// The overdue sweep, on the schedule in DISPATCH_SWEEP_SCHEDULE (NCRONTAB with seconds; every 5 s by
/// default). Not RunOnStartup: every scale-out instance would fire it at once.
/// </summary>
public sealed class SweepFunction(
    Sweeper sweeper, IDueIndex index, DependencyMonitor monitor, DispatchMetrics metrics, TableOperationsStore operations, NodaTime.IClock clock,
    IOptions<DispatchSettings> settings, ILogger<SweepFunction> logger)
{
    [Function("Sweep")]
    public async Task Run([TimerTrigger("%DISPATCH_SWEEP_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        // A budget of its own: a hung dependency delays this run, not the schedule.
        var budget = settings.Value.SweepBudgetTime;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(budget);
        using var requests = RequestCounter.Begin();
        try
        {
            var report = await sweeper.SweepAsync(deadline.Token);
            metrics.Swept(report);
            // The heartbeat the health detail and the alert rules watch: any instance can tell when the sweep last ran.
            await operations.RecordSweepAsync(new SweepHeartbeat(clock.GetCurrentInstant(), "ok", report.Entries, report.Changed, report.Notices, report.Conflicts,
                report.Elapsed.TotalSeconds), deadline.Token);
            if (metrics.OutboxDue(clock.GetCurrentInstant()))
            {
                // The backlog gauge behind the outbox alert: four small queries, twice a minute at most.
                var (count, oldestSince) = await index.PendingNoticesAsync(deadline.Token);
                metrics.Outbox(count, oldestSince is { } since ? clock.GetCurrentInstant() - since : null, clock.GetCurrentInstant());
            }

            // Every run, so an operator can see the sweep keep up.
            Log.Swept(logger, report.Entries, report.Due, report.Changed, report.Conflicts, report.Notices, report.Reindexed,
                report.Relay.Sent, report.Relay.Failed, requests.Requests, (long)report.Elapsed.TotalMilliseconds, report.Truncated);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            metrics.SweepFailed("over-budget");
            Log.SweepOverBudget(logger, budget, monitor.WaitingOn());
        }
        catch (StorageUnavailableException e)
        {
            // The outage is logged once by the dependency monitor; nothing was lost: what is due stays due.
            metrics.SweepFailed("storage-unavailable");
            Log.SweepSkipped(logger, e.Message);
        }
    }
}
