using Azure.Messaging.ServiceBus;
using Dispatch.Core.Messages;
using Dispatch.Core.Reports;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Storage;

namespace Dispatch.Functions.Messaging;

/// <summary>
/// A station's shift report on the <c>escalations</c> topic, to the chief: <c>kind</c> = <c>report</c>, MessageId
/// <c>{station}:report:{day}</c>, so a resend after a crash is dropped by duplicate detection.
/// </summary>
public sealed class ServiceBusShiftReportPublisher(ServiceBusSender sender, DependencyMonitor monitor) : IShiftReportPublisher
{
    public async Task PublishAsync(ShiftReportMessage report, CancellationToken cancellationToken)
    {
        using var waiting = monitor.Begin(Dependencies.ServiceBus);
        try
        {
            await sender.SendMessageAsync(ToMessage(report), cancellationToken);
            monitor.Succeeded(Dependencies.ServiceBus);
        }
        catch (Exception e) when (e is ServiceBusException or UnauthorizedAccessException or TimeoutException or System.Net.Sockets.SocketException)
        {
            monitor.Failed(Dependencies.ServiceBus, DispatchTable.Describe(e));
            throw;
        }
    }

    public static ServiceBusMessage ToMessage(ShiftReportMessage report)
    {
        var message = new ServiceBusMessage(report.ToUtf8())
        {
            MessageId = $"{report.Station}:report:{report.Day}",
            ContentType = "application/json",
            Subject = ShiftReportMessage.KindName,
        };
        message.ApplicationProperties["station"] = report.Station;
        message.ApplicationProperties["audience"] = "chief";
        message.ApplicationProperties["kind"] = ShiftReportMessage.KindName;
        message.ApplicationProperties["level"] = 0;
        message.ApplicationProperties["day"] = report.Day;
        return message;
    }
}
