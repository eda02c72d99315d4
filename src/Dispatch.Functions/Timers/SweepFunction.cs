using Dispatch.Core.Incidents;
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
        var report = await sweeper.SweepAsync(cancellationToken);
        if (report.Due > 0 || report.Relay.Sent > 0 || report.Relay.Failed > 0)
        {
            Log.Swept(logger, report.Due, report.Changed, report.Conflicts, report.Notices, report.Relay.Sent, report.Relay.Failed);
        }
    }
}
