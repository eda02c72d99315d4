using System.Text.Json;

namespace Dispatch.Contracts;

/// <summary>
/// One clock's compliance in a shift report, overall and per priority; <c>rawCompliance</c> is the same judged as if
/// no clock had been paused (issue 28), null in messages sent before pauses existed.
/// </summary>
public sealed record ClockLine(
    string Clock, int Met, int Breached, double? Compliance, string? Median, string? P90, IReadOnlyDictionary<string, double?> ComplianceByPriority,
    double? RawCompliance = null);

/// <summary>A pause of the day (issue 28): which clock, why, from when, how long, who paused it and the unit that held the incident then.</summary>
public sealed record PauseItem(string IncidentId, string Clock, string Reason, DateTimeOffset At, string PausedFor, string By, string? Unit);

/// <summary>A breach of the day with who held the phase when its deadline passed.</summary>
public sealed record BreachItem(string IncidentId, string Clock, string Priority, string Category, DateTimeOffset Deadline, string OverdueBy, string Holder, string? Unit, bool StillRunning, int Level, string? AcknowledgedBy);

/// <summary>A unit near the bottom of the day's arrival compliance.</summary>
public sealed record UnitLine(string Unit, int N, double? Compliance, string? Median, bool SmallSample);

/// <summary>
/// The body of a <see cref="EscalationTopic.ReportKind"/> message on the <see cref="EscalationTopic"/> (audience
/// <c>chief</c>): a station's day, sent once when the day ends (README, "The daily shift report").
/// </summary>
public sealed record ShiftReportMessage(
    string Kind,
    string Station,
    string Day,
    string TimeZone,
    DateTimeOffset From,
    DateTimeOffset To,
    int Reported,
    int Closed,
    int Cancelled,
    int StillOpen,
    IReadOnlyList<ClockLine> Clocks,
    IReadOnlyList<BreachItem> Breaches,
    IReadOnlyList<UnitLine> BottomUnits,
    int Findings,
    string Summary,
    string Url,
    IReadOnlyList<PauseItem>? Pauses = null)
{
    public static ShiftReportMessage Parse(ReadOnlySpan<byte> body) =>
        JsonSerializer.Deserialize<ShiftReportMessage>(body, EscalationMessage.Json) ?? throw new JsonException("empty report body");

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, EscalationMessage.Json);
}
