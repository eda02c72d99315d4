using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Core;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Storage;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Messaging;

/// <summary>
/// Sends notices to the <see cref="EscalationTopic"/>. The MessageId is the notice's own, so a resend after
/// a crash is dropped by the topic's duplicate detection.
/// </summary>
public sealed class ServiceBusNoticePublisher(
    ServiceBusSender sender, IOptions<DispatchSettings> settings, DependencyMonitor monitor, DispatchMetrics metrics, NodaTime.IClock clock) : INoticePublisher
{
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
            IsoDuration.Format(notice.OverdueBy), NoticeText.Summary(notice), $"{ApiRoute.On(publicUrl)}/incidents/{notice.IncidentId.Value}");
        var message = new ServiceBusMessage(body.ToUtf8())
        {
            MessageId = notice.MessageId,
            ContentType = "application/json",
            Subject = notice.Kind.Name(),
        };
        message.ApplicationProperties[MessageProperties.Station] = notice.Station.Value;
        message.ApplicationProperties[MessageProperties.Audience] = notice.Audience.Name();
        message.ApplicationProperties[MessageProperties.Kind] = notice.Kind.Name();
        message.ApplicationProperties[MessageProperties.Level] = notice.Level;
        message.ApplicationProperties[MessageProperties.Priority] = notice.Priority.Name();
        message.ApplicationProperties[MessageProperties.Clock] = notice.Clock?.Name() ?? "";
        message.ApplicationProperties[MessageProperties.IncidentId] = notice.IncidentId.Value;
        if (System.Diagnostics.Activity.Current is { } activity)
        {
            message.ApplicationProperties[MessageProperties.TraceParent] = activity.Id;
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
            NoticeKind.LongPause => $"{what}: {notice.Clock!.Value.Name()} clock still paused at {notice.DueAt:HH:mm:ss}Z, past the station's pause limit",
            _ => $"{what}: {notice.Clock!.Value.Name()} deadline missed by {Overdue(notice.OverdueBy)}; escalated to level {notice.Level}",
        };
    }

    private static string Overdue(NodaTime.Duration duration) =>
        duration < NodaTime.Duration.FromMinutes(1) ? $"{(int)duration.TotalSeconds}s" : $"{(int)duration.TotalMinutes}m{duration.Seconds}s";
}
