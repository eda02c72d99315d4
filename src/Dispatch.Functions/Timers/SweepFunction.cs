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
public sealed class SweepFunction(Sweeper sweeper, DependencyMonitor monitor, IOptions<DispatchSettings> settings, ILogger<SweepFunction> logger)
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
            // Every run, so an operator can see the sweep keep up.
            Log.Swept(logger, report.Entries, report.Due, report.Changed, report.Conflicts, report.Notices, report.Reindexed,
                report.Relay.Sent, report.Relay.Failed, requests.Requests, (long)report.Elapsed.TotalMilliseconds, report.Truncated);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.SweepOverBudget(logger, budget, monitor.WaitingOn());
        }
        catch (StorageUnavailableException e)
        {
            // The outage is logged once by the dependency monitor; nothing was lost: what is due stays due.
            Log.SweepSkipped(logger, e.Message);
        }
    }
}
