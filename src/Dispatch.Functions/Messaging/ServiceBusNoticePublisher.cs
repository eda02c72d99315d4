using Azure.Messaging.ServiceBus;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Http;
using Dispatch.Functions.Settings;
using Dispatch.Functions.Storage;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Messaging;

/// <summary>The body of a message on the <c>escalations</c> topic (README, "Escalation messages").</summary>
public sealed record EscalationMessage(
    string IncidentId,
    string Station,
    string Category,
    string Priority,
    string? Clock,
    string Kind,
    int Level,
    string Audience,
    Instant? Deadline,
    Instant? BreachedAt,
    Instant EscalatedAt,
    string OverdueBy,
    string Summary,
    string Url);

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
        var body = new EscalationMessage(
            notice.IncidentId.Value, notice.Station.Value, notice.Category, notice.Priority.Name(), notice.Clock?.Name(), notice.Kind.Name(),
            notice.Level, notice.Audience.Name(), notice.Deadline, notice.BreachedAt, notice.At, IsoDuration.Format(notice.OverdueBy), notice.Summary,
            $"{publicUrl.TrimEnd('/')}/api/incidents/{notice.IncidentId.Value}");
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
