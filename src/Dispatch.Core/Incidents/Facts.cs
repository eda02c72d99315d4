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
