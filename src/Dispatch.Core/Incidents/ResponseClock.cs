using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// One response window of an incident. Its target and deadline are fixed when the incident is reported,
/// so a later change of policy never moves them.
/// </summary>
public sealed record ResponseClock(ClockKind Kind, Duration Target, Instant Deadline, Instant? MetAt, Instant? StoppedAt)
{
    /// <summary>How many of the plan's pre-breach warnings have been sent (or passed over as moot).</summary>
    public int WarningsSent { get; init; }

    /// <summary>The highest escalation level reached; 0 before the breach is recorded.</summary>
    public int Level { get; init; }

    public Instant? AcknowledgedAt { get; init; }

    public Person? AcknowledgedBy { get; init; }

    /// <summary>Recorded by the sweep when the deadline passed unmet.</summary>
    public BreachFact? Breach { get; init; }

    /// <summary>Recorded when the clock was met or stopped.</summary>
    public ClockOutcome? Outcome { get; init; }

    public Instant StartedAt => Deadline - Target;

    public static ResponseClock Start(ClockKind kind, Instant reportedAt, Duration target) =>
        new(kind, target, reportedAt + target, null, null);

    /// <summary>
    /// When the sweep next has something to do for this clock: the next warning, the breach, or the next
    /// rung of the ladder. Null once the clock is met or stopped, or once the ladder is acknowledged or exhausted.
    /// </summary>
    /// <remarks>Never earlier than before any change: the due index relies on it (README, "Escalation").</remarks>
    public Instant? NextDueAt(EscalationPlan plan)
    {
        if (!IsOpen)
        {
            return null;
        }

        if (WarningsSent < plan.WarnAt.Count)
        {
            var warning = WarningAt(plan.WarnAt[WarningsSent]);
            if (warning < Deadline)
            {
                return warning;
            }
        }

        if (AcknowledgedAt is not null || Level >= plan.Ladder.Count)
        {
            return null;
        }

        return Deadline + plan.Ladder[Level].After;
    }

    public Instant WarningAt(double fraction) => StartedAt + Duration.FromTicks((long)Math.Round(Target.TotalTicks * fraction));

    /// <summary>The clock's state as seen at <paramref name="now"/>.</summary>
    public ClockState StateAt(Instant now)
    {
        if (MetAt is { } met)
        {
            return met <= Deadline ? ClockState.Met : ClockState.Breached;
        }

        if (StoppedAt is { } stopped)
        {
            return stopped < Deadline ? ClockState.Stopped : ClockState.Breached;
        }

        return now < Deadline ? ClockState.Running : ClockState.Breached;
    }

    /// <summary>True while the clock is neither met nor stopped: the sweep watches these.</summary>
    public bool IsOpen => MetAt is null && StoppedAt is null;

    /// <summary>When it ended: met or stopped; null while it runs.</summary>
    public Instant? EndedAt => MetAt ?? StoppedAt;
}
