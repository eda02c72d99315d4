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
    ServiceBusSender sender, IOptions<DispatchSettings> settings, DependencyMonitor monitor, DispatchMetrics metrics, NodaTime.IClock clock, ResponsePolicy policy) : INoticePublisher
{
    public async Task PublishAsync(Notice notice, CancellationToken cancellationToken)
    {
        using var waiting = monitor.Begin(Dependencies.ServiceBus);
        try
        {
            await sender.SendMessageAsync(ToMessage(notice, settings.Value.PublicUrl, policy), cancellationToken);
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

    /// <summary>The notice's facts as they are, and its summary in the words of the station's language (the policy's).</summary>
    public static ServiceBusMessage ToMessage(Notice notice, string publicUrl, ResponsePolicy policy)
    {
        var language = policy.LanguageOf(notice.Station);
        var body = new EscalationMessage(
            notice.IncidentId.Value, notice.Station.Value, notice.Category, notice.Priority.Name(), notice.Clock?.Name(), notice.Kind.Name(), notice.Level,
            notice.Audience.Name(), notice.Deadline?.ToDateTimeOffset(), notice.BreachedAt?.ToDateTimeOffset(), notice.At.ToDateTimeOffset(),
            IsoDuration.Format(notice.OverdueBy), NoticeText.Summary(notice, Words.For(language), policy.TimeZone), $"{ApiRoute.On(publicUrl)}/incidents/{notice.IncidentId.Value}");
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
        message.ApplicationProperties[MessageProperties.Language] = language.Tag();
        if (System.Diagnostics.Activity.Current is { } activity)
        {
            message.ApplicationProperties[MessageProperties.TraceParent] = activity.Id;
        }

        return message;
    }
}

/// <summary>The words a person reads on a notice, in the station's language; the domain keeps only the facts.</summary>
public static class NoticeText
{
    /// <param name="zone">The station's time zone: a warning's deadline is the time on the station's clocks.</param>
    public static string Summary(Notice notice, Words words, NodaTime.DateTimeZone zone)
    {
        var what = words["message.what",
            ("priority", words.Word("priority", notice.Priority.Name())), ("category", words.Word("category", notice.Category)), ("address", notice.Address)];
        var clock = notice.Clock is { } kind ? words.Word("clock", kind.Name()) : "";
        return notice.Kind switch
        {
            NoticeKind.Immediate => words["message.immediate", ("what", what), ("name", notice.RaisedBy.Name)],
            NoticeKind.Warning => words["message.warning", ("what", what), ("clock", clock), ("level", notice.Level),
                ("time", notice.Deadline?.InZone(zone).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))],
            NoticeKind.LongPause => words["message.long-pause", ("what", what), ("clock", clock),
                ("time", notice.DueAt.InZone(zone).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))],
            _ => words["message.escalation", ("what", what), ("clock", clock), ("overdue", words.Prose(notice.OverdueBy.ToTimeSpan())), ("level", notice.Level)],
        };
    }
}
