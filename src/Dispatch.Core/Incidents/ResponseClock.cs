using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// One response window of an incident: when it started, its target, and how it ended. Its target is fixed when
/// the incident is reported, so a later change of policy never moves it; its deadline follows from its start and
/// its target.
/// </summary>
/// <remarks>
/// The start is kept, never derived from the deadline, so the deadline can come to depend on more than the start
/// and the target (a paused clock's deadline moves by the time it was paused) while the running time still counts
/// from the start. Rows stored before the start was kept read it back as <c>Deadline - Target</c>.
/// </remarks>
public sealed record ResponseClock(ClockKind Kind, Instant StartedAt, Duration Target, Instant? MetAt, Instant? StoppedAt)
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

    /// <summary>
    /// The business hours its priority runs in (issue 28), fixed when the incident is reported; null (the default) for a
    /// clock that runs round the clock. With one, its target counts business time only, and so do its warnings and rungs.
    /// </summary>
    public BusinessCalendar? Calendar { get; init; }

    /// <summary>Its pauses (issue 28), oldest first; the last may still hold it.</summary>
    public PauseLog Pauses { get; init; } = PauseLog.Empty;

    /// <summary>The pause holding the clock now, if one does.</summary>
    public ClockPause? Pause => IsOpen ? Pauses.Current : null;

    public bool IsPaused => Pause is not null;

    /// <summary>
    /// Its start plus its target plus the time its ended pauses held it: a pause moves the deadline when it ends. With a
    /// <see cref="Calendar"/> both the target and the paused time count in business time only.
    /// </summary>
    public Instant Deadline => Reach(StartedAt, Target + CountedPauses(null));

    /// <summary>The deadline had it never been paused, in wall time (no business hours): what the raw figures of a report judge by.</summary>
    public Instant RawDeadline => StartedAt + Target;

    /// <summary>The deadline as it stands at <paramref name="now"/>: while paused, it moves on with every second of the pause.</summary>
    public Instant DeadlineAt(Instant now) => Pause is null ? Deadline : Reach(StartedAt, Target + CountedPauses(now));

    /// <summary>How long pauses had held the clock by <paramref name="at"/>, in wall time.</summary>
    public Duration PausedTimeAt(Instant at) => Pauses.Ended + (Pauses.Current?.LengthAt(at) ?? Duration.Zero);

    /// <summary>The time that counts between two instants: all of it, or with a <see cref="Calendar"/> the business time only.</summary>
    private Duration Counted(Instant from, Instant to) => Calendar?.Between(from, to) ?? to - from;

    /// <summary>The instant <paramref name="counted"/> of counting time after <paramref name="from"/> (<see cref="Counted"/>).</summary>
    private Instant Reach(Instant from, Duration counted) => Calendar?.After(from, counted) ?? from + counted;

    /// <summary>The counting time the pauses held the clock: the ended ones, and with <paramref name="now"/> the current one up to then.</summary>
    private Duration CountedPauses(Instant? now) => Pauses.Items
        .Select(p => p.ResumedAt is { } resumed ? Counted(p.At, resumed) : now is { } at ? Counted(p.At, p.At + p.LengthAt(at)) : Duration.Zero)
        .Aggregate(Duration.Zero, (sum, d) => sum + d);

    /// <summary>True while the clock is neither met nor stopped: the sweep watches these.</summary>
    public bool IsOpen => MetAt is null && StoppedAt is null;

    /// <summary>When it ended: met or stopped; null while it runs.</summary>
    public Instant? EndedAt => MetAt ?? StoppedAt;

    public static ResponseClock Start(ClockKind kind, Instant at, Duration target) => new(kind, at, target, null, null);

    /// <summary>How long the clock has run by <paramref name="at"/>, paused time (and with a calendar, time out of hours) left out: the time that counts against its target.</summary>
    public Duration RunningTimeAt(Instant at) => Counted(StartedAt, at) - CountedPauses(at);

    /// <summary>How long since it started, pauses included: the raw figure a report shows beside the adjusted one.</summary>
    public Duration RawTimeAt(Instant at) => at - StartedAt;

    /// <summary>
    /// When the sweep next has something to do for this clock: the next warning, the breach, or the next
    /// rung of the ladder. Null once the clock is met or stopped, or once the ladder is acknowledged or exhausted.
    /// </summary>
    /// <remarks>
    /// Never earlier than before any change but a pause or a resume, whose earlier entry the service writes: the due
    /// index relies on it (README, "Escalation").
    /// </remarks>
    public Instant? NextDueAt(EscalationPlan plan)
    {
        if (!IsOpen)
        {
            return null;
        }

        // While paused, warnings and the ladder wait: the only work is telling the chief at the limit and resuming it at its maximum.
        if (Pause is { } pause)
        {
            return pause.NextDueAt;
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

        // A rung's delay counts as its target does: with a calendar nothing climbs out of hours.
        return Reach(Deadline, plan.Ladder[Level].After);
    }

    /// <summary>The instant the clock has run <paramref name="fraction"/> of its target.</summary>
    public Instant WarningAt(double fraction) => Reach(StartedAt, CountedPauses(null) + Duration.FromTicks((long)Math.Round(Target.TotalTicks * fraction)));

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

        return now < DeadlineAt(now) ? ClockState.Running : ClockState.Breached;
    }

    /// <summary>Met at <paramref name="at"/>, with its outcome frozen; unchanged when it has already ended.</summary>
    public ResponseClock MeetAt(Instant at, Ownership owners)
    {
        if (!IsOpen)
        {
            return this;
        }

        var clock = EndPauseAt(at);
        return clock with { MetAt = at, Outcome = clock.OutcomeAt(at, stopped: false, owners) };
    }

    /// <summary>Stopped unmet at <paramref name="at"/> (the incident was cancelled), with its outcome frozen; unchanged when it has already ended.</summary>
    public ResponseClock StopAt(Instant at, Ownership owners)
    {
        if (!IsOpen)
        {
            return this;
        }

        var clock = EndPauseAt(at);
        return clock with { StoppedAt = at, Outcome = clock.OutcomeAt(at, stopped: true, owners) };
    }

    /// <summary>Paused at <paramref name="pause"/>'s start; the incident has checked that it may be.</summary>
    public ResponseClock PauseWith(ClockPause pause) => this with { Pauses = Pauses.Add(pause) };

    /// <summary>
    /// Resumed at <paramref name="at"/>, or at the pause's maximum if that came first (a pause never holds a clock
    /// longer than its reason allows, however late the sweep or the person): the deadline moves by the paused time.
    /// </summary>
    public ResponseClock ResumeAt(Instant at, Person by) => Pause is { } pause ? this with { Pauses = Pauses.EndCurrent(Instant.Min(at, pause.ResumesBy), by) } : this;

    /// <summary>A phase that ends while paused ends its pause at the same instant (or at the pause's maximum, if earlier).</summary>
    private ResponseClock EndPauseAt(Instant at) => Pause is { } pause ? this with { Pauses = Pauses.EndCurrent(Instant.Min(at, pause.ResumesBy), null) } : this;

    /// <summary>
    /// The outcome as recorded when it ended, or for a clock stored before outcomes were kept, reconstructed from
    /// its end and marked <see cref="ClockOutcome.Derived"/>. Null while it runs.
    /// </summary>
    public ClockOutcome? OutcomeOf(Ownership owners) =>
        Outcome ?? (EndedAt is { } end ? OutcomeAt(end, stopped: MetAt is null, owners) with { Derived = true } : null);

    private ClockOutcome OutcomeAt(Instant end, bool stopped, Ownership owners)
    {
        var result = stopped
            ? end < Deadline ? ClockResult.Stopped : ClockResult.Breached
            : end <= Deadline ? ClockResult.Met : ClockResult.Breached;
        var overdue = end > Deadline ? end - Deadline : Duration.Zero;
        return new ClockOutcome(result, end, RunningTimeAt(end), overdue, owners.PeriodsOf(Kind, StartedAt, end),
            owners.HolderAt(Kind, StartedAt, Instant.Min(end, Deadline)), Derived: false);
    }
}
