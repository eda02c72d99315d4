using Dispatch.Core.Incidents;
using Dispatch.Functions.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Dispatch.Functions.Timers;

/// <summary>
/// The overdue sweep, on the schedule in DISPATCH_SWEEP_SCHEDULE (NCRONTAB with seconds; every 5 s by
/// default). Not RunOnStartup: every scale-out instance would fire it at once.
/// </summary>
public sealed class SweepFunction(Sweeper sweeper, ILogger<SweepFunction> logger)
{
    [Function("Sweep")]
    public async Task Run([TimerTrigger("%DISPATCH_SWEEP_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        using var requests = RequestCounter.Begin();
        var report = await sweeper.SweepAsync(cancellationToken);
        // Every run, so an operator can see the sweep keep up.
        Log.Swept(logger, report.Entries, report.Due, report.Changed, report.Conflicts, report.Notices, report.Reindexed,
            report.Relay.Sent, report.Relay.Failed, requests.Requests, (long)report.Elapsed.TotalMilliseconds, report.Truncated);
    }
}
