using Azure.Messaging.ServiceBus;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Settings;
using Dispatch.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Messaging;

/// <summary>
/// Sends notices to the <c>escalations</c> topic. The MessageId is the notice's own, so a resend after
/// a crash is dropped by the topic's duplicate detection.
/// </summary>
public sealed class ServiceBusNoticePublisher(ServiceBusSender sender, IOptions<DispatchSettings> settings) : INoticePublisher
{
    public const string Topic = "escalations";

    public Task PublishAsync(Notice notice, CancellationToken cancellationToken) =>
        sender.SendMessageAsync(ToMessage(notice, settings.Value.PublicUrl), cancellationToken);

    public static ServiceBusMessage ToMessage(Notice notice, string publicUrl)
    {
        // The body is the stored notice plus the incident's link (README, "Escalation messages").
        var body = NoticeDocument.From(notice) with { Url = $"{publicUrl.TrimEnd('/')}/api/incidents/{notice.IncidentId.Value}" };
        var message = new ServiceBusMessage(BinaryData.FromObjectAsJson(body, Json.Options))
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
        return message;
    }
}
