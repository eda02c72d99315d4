using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>A dispatch or a re-dispatch (handoff): from then on the unit and officer hold the incident.</summary>
public sealed record Assignment(Instant At, string Unit, Person Officer, Person By);

public enum HolderKind { Dispatcher, Unit }

/// <summary>
/// Who holds a phase: the dispatcher who took the report (until a unit is dispatched), or a unit and its
/// officer. Whoever holds a clock when it is met, or when its deadline passes, answers for it.
/// </summary>
public sealed record Holder(HolderKind Kind, Person Person, string? Unit);

/// <summary>One ownership period of a phase.</summary>
public sealed record Holding(Holder Holder, Instant From, Instant To)
{
    public Duration Duration => To - From;
}

public enum ClockResult { Met, Breached, Stopped }

/// <summary>
/// How a clock ended, frozen when it ended and never recomputed from later state: how long it ran, against
/// which target, by how much it was late, who held it in which periods, and who answered for it.
/// </summary>
/// <param name="Derived">True when reconstructed from milestones of an incident stored before these facts were kept.</param>
public sealed record ClockOutcome(
    ClockResult Result, Instant EndedAt, Duration Elapsed, Duration OverdueBy, IReadOnlyList<Holding> Periods, Holder Accountable, bool Derived);

/// <summary>The moment a clock's deadline passed, as the sweep recorded it, with the holder at the deadline.</summary>
public sealed record BreachFact(Instant At, Holder Holder, Instant RecordedAt);

/// <summary>
/// One pause of a clock (issue 28): why, from when, by whom, the unit that held the incident then, and when the
/// clock resumes by itself at the latest. <see cref="ResumedAt"/> is null while it lasts.
/// </summary>
/// <param name="Unit">The unit that held the incident when it was paused; null before a dispatch.</param>
/// <param name="ResumesBy">The pause's start plus its reason's maximum pause: the sweep resumes the clock at this instant.</param>
/// <param name="TellChiefAt">When the chief is told the clock is still paused (the policy's limit after its start); null when it resumes by itself first.</param>
public sealed record ClockPause(string Reason, Instant At, Person By, string? Unit, Instant ResumesBy, Instant? TellChiefAt = null)
{
    /// <summary>The chief has been told it passed the limit.</summary>
    public bool ChiefTold { get; init; }

    /// <summary>When the sweep next has something to do for it: tell the chief, or resume the clock.</summary>
    public Instant NextDueAt => TellChiefAt is { } tell && !ChiefTold ? Instant.Min(tell, ResumesBy) : ResumesBy;

    public Instant? ResumedAt { get; init; }

    /// <summary>Who resumed it: a person, the sweep at the maximum, or null when the phase ended (met or stopped) while paused.</summary>
    public Person? ResumedBy { get; init; }

    /// <summary>How long it has held the clock by <paramref name="now"/>; never longer than its maximum.</summary>
    public Duration LengthAt(Instant now) => Instant.Min(ResumedAt ?? now, ResumesBy) - At;
}

/// <summary>A clock's pauses, oldest first, compared by what they hold (a clock is a value, and so is its history).</summary>
public sealed class PauseLog(IReadOnlyList<ClockPause> items) : IEquatable<PauseLog>
{
    public static PauseLog Empty { get; } = new([]);

    public IReadOnlyList<ClockPause> Items => items;

    /// <summary>The pause still holding the clock, if any: always the last.</summary>
    public ClockPause? Current => items.Count > 0 && items[^1].ResumedAt is null ? items[^1] : null;

    /// <summary>The time the ended pauses held the clock: what its deadline has moved by.</summary>
    public Duration Ended => items.Where(p => p.ResumedAt is not null).Aggregate(Duration.Zero, (sum, p) => sum + (p.ResumedAt!.Value - p.At));

    public PauseLog Add(ClockPause pause) => new([.. items, pause]);

    /// <summary>The current pause ended at <paramref name="at"/> by <paramref name="by"/>.</summary>
    public PauseLog EndCurrent(Instant at, Person? by) => new([.. items.Take(items.Count - 1), items[^1] with { ResumedAt = at, ResumedBy = by }]);

    /// <summary>The current pause, with the chief told of it.</summary>
    public PauseLog ChiefToldOfCurrent() => new([.. items.Take(items.Count - 1), items[^1] with { ChiefTold = true }]);

    public bool Equals(PauseLog? other) => other is not null && items.SequenceEqual(other.Items);

    public override bool Equals(object? obj) => Equals(obj as PauseLog);

    public override int GetHashCode() => items.Count;
}
