using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Contracts;

/// <summary>
/// The body of a notice on the <see cref="EscalationTopic"/>: the contract between the app that sends it and
/// the desks that read it, defined once (README, "Escalation messages").
/// </summary>
public sealed record EscalationMessage(
    string IncidentId,
    string Station,
    string Category,
    string Priority,
    string? Clock,
    string Kind,
    int Level,
    string Audience,
    DateTimeOffset? Deadline,
    DateTimeOffset? BreachedAt,
    DateTimeOffset EscalatedAt,
    string OverdueBy,
    string Summary,
    string Url)
{
    /// <summary>camelCase, every property written: the wire form both sides use.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static EscalationMessage Parse(ReadOnlySpan<byte> body) =>
        JsonSerializer.Deserialize<EscalationMessage>(body, Json) ?? throw new JsonException("empty escalation body");

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>How far past its deadline the incident is at <paramref name="now"/>; zero before it.</summary>
    public TimeSpan OverdueAt(DateTimeOffset now) => Deadline is { } deadline && now > deadline ? now - deadline : TimeSpan.Zero;
}
