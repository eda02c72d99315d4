using Dispatch.Core.Policy;

namespace Dispatch.Contracts;

/// <summary>
/// The Service Bus topic every notice and shift report goes to (README, "Escalation messages"), and its
/// subscriptions: named here once for the app that sends, the desk that reads and the tools around them. The
/// entities themselves are declared in <c>infra/servicebus/config.json</c> and the Bicep templates.
/// </summary>
public static class EscalationTopic
{
    public const string Name = "escalations";

    /// <summary>The <see cref="MessageProperties.Kind"/> of a shift report; a notice carries its notice kind's wire name.</summary>
    public const string ReportKind = "report";

    /// <summary>Every audience reads a subscription of its own, named as the audience and filtered on <see cref="MessageProperties.Audience"/>.</summary>
    public static IReadOnlyList<string> Subscriptions { get; } = [.. Enum.GetValues<Audience>().Select(SubscriptionOf)];

    public static string SubscriptionOf(Audience audience) => audience.Name();
}

/// <summary>The application properties of a message on the topic: what subscriptions filter on and desks sort by.</summary>
public static class MessageProperties
{
    public const string Station = "station";
    public const string Audience = "audience";
    public const string Kind = "kind";
    public const string Level = "level";
    public const string Priority = "priority";
    public const string Clock = "clock";
    public const string IncidentId = "incidentId";

    /// <summary>A shift report's station-day (<c>yyyy-MM-dd</c>).</summary>
    public const string Day = "day";

    /// <summary>The language the message's texts (its <c>summary</c>) are written in: the station's, as its policy names it (<c>zh-CN</c>, <c>en</c>).</summary>
    public const string Language = "language";

    /// <summary>W3C trace context: the desk continues the trace of the request or sweep that sent the message.</summary>
    public const string TraceParent = "traceparent";
}
