using Dispatch.Core;
using Azure.Messaging.ServiceBus;
using Dispatch.Core.Incidents;
using Dispatch.Core.Messages;
using Dispatch.Core.Policy;
using Dispatch.Functions.Http;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Storage;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Messaging;

/// <summary>
/// Sends notices to the <c>escalations</c> topic. The MessageId is the notice's own, so a resend after
/// a crash is dropped by the topic's duplicate detection.
/// </summary>
public sealed class ServiceBusNoticePublisher(
    ServiceBusSender sender, IOptions<DispatchSettings> settings, DependencyMonitor monitor, DispatchMetrics metrics, NodaTime.IClock clock) : INoticePublisher
{
    public const string Topic = "escalations";

    public async Task PublishAsync(Notice notice, CancellationToken cancellationToken)
    {
        using var waiting = monitor.Begin(Dependencies.ServiceBus);
        try
        {
            await sender.SendMessageAsync(ToMessage(notice, settings.Value.PublicUrl), cancellationToken);
            monitor.Succeeded(Dependencies.ServiceBus);
            metrics.NoticeSent(notice, clock.GetCurrentInstant());
        }
        catch (Exception e) when (e is ServiceBusException or UnauthorizedAccessException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // The relay keeps the notice in the outbox and retries; this only keeps the operator informed.
            monitor.Failed(Dependencies.ServiceBus, DispatchTable.Describe(e));
            metrics.NoticeFailed(notice);
            throw;
        }
    }

    public static ServiceBusMessage ToMessage(Notice notice, string publicUrl)
    {
        var body = new EscalationMessage(
            notice.IncidentId.Value, notice.Station.Value, notice.Category, notice.Priority.Name(), notice.Clock?.Name(), notice.Kind.Name(), notice.Level,
            notice.Audience.Name(), notice.Deadline?.ToDateTimeOffset(), notice.BreachedAt?.ToDateTimeOffset(), notice.At.ToDateTimeOffset(),
            IsoDuration.Format(notice.OverdueBy), NoticeText.Summary(notice), $"{publicUrl.TrimEnd('/')}/api/incidents/{notice.IncidentId.Value}");
        var message = new ServiceBusMessage(body.ToUtf8())
        {
            MessageId = notice.MessageId,
            ContentType = "application/json",
            Subject = notice.Kind.Name(),
        };
        message.ApplicationProperties["station"] = notice.Station.Value;
        message.ApplicationProperties["audience"] = notice.Audience.Name();
        message.ApplicationProperties["kind"] = notice.Kind.Name();
        message.ApplicationProperties["level"] = notice.Level;
        message.ApplicationProperties["priority"] = notice.Priority.Name();
        message.ApplicationProperties["clock"] = notice.Clock?.Name() ?? "";
        message.ApplicationProperties["incidentId"] = notice.IncidentId.Value;
        // W3C trace context: the desk continues the trace of the request or sweep that sent it.
        if (System.Diagnostics.Activity.Current is { } activity)
        {
            message.ApplicationProperties["traceparent"] = activity.Id;
        }

        return message;
    }
}

/// <summary>The words a person reads on a notice; the domain keeps only the facts.</summary>
public static class NoticeText
{
    public static string Summary(Notice notice)
    {
        var what = $"{notice.Priority.Name()} {notice.Category} at {notice.Address}";
        return notice.Kind switch
        {
            NoticeKind.Immediate => $"{what}: reported by {notice.RaisedBy.Name}",
            NoticeKind.Warning => $"{what}: {notice.Clock!.Value.Name()} deadline {notice.Deadline:HH:mm:ss}Z approaching (warning {notice.Level})",
            _ => $"{what}: {notice.Clock!.Value.Name()} deadline missed by {Overdue(notice.OverdueBy)}; escalated to level {notice.Level}",
        };
    }

    private static string Overdue(NodaTime.Duration duration) =>
        duration < NodaTime.Duration.FromMinutes(1) ? $"{(int)duration.TotalSeconds}s" : $"{(int)duration.TotalMinutes}m{duration.Seconds}s";
}
