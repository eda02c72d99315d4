using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using Dispatch.Functions.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Dispatch.Functions.Timers;

/// <summary>
/// Sends each station's chief the day that just ended, at the policy's day boundary (README, "The daily shift
/// report"). Runs every minute (DISPATCH_REPORT_SCHEDULE); a run that finds nothing to send reads three rows.
/// </summary>
public sealed partial class ShiftReportFunction(ShiftReporter reporter, ILogger<ShiftReportFunction> logger)
{
    [Function("ShiftReport")]
    public async Task Run([TimerTrigger("%DISPATCH_REPORT_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        try
        {
            var sent = await reporter.RunAsync(cancellationToken);
            if (sent > 0)
            {
                LogSent(logger, sent);
            }
        }
        catch (StorageUnavailableException e)
        {
            // Logged once per outage by the dependency monitor; the next run picks up where this one stopped.
            LogSkipped(logger, e.Message);
        }
    }

    [LoggerMessage(1201, LogLevel.Information, "Shift reports: {Sent} sent")]
    private static partial void LogSent(ILogger logger, int sent);

    [LoggerMessage(1202, LogLevel.Information, "Shift reports skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string reason);
}
