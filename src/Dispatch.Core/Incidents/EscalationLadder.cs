using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>A rung the sweep reached on one clock: what to tell whom, and when it was due.</summary>
/// <param name="Clock">The clock as it stands after this rung.</param>
public sealed record Rung(ResponseClock Clock, NoticeKind Kind, int Level, Audience Audience, Instant DueAt);

/// <summary>A pause the sweep ended at its maximum; <paramref name="Clock"/> is the clock as it stands after it.</summary>
public sealed record AutoResume(ResponseClock Clock, ClockPause Pause);

/// <summary>
/// An incident's three clocks and the plan they escalate by: warnings while a deadline is ahead, the breach at
/// it, each further level once its delay has passed, until someone entitled acknowledges. The plan is copied
/// onto the incident when it is reported, so a later policy change never alters how an open incident escalates.
/// </summary>
public sealed record EscalationLadder(EscalationPlan Plan, ClockSet Clocks)
{
    /// <summary>The earliest deadline among clocks still running, or null when none is; a paused clock's deadline is not coming.</summary>
    public Instant? NextDeadline =>
        Clocks.Where(c => c.IsOpen && !c.IsPaused).Select(c => (Instant?)c.Deadline).DefaultIfEmpty(null).Min();

    /// <summary>When the sweep next has work here; null when it never will.</summary>
    /// <remarks>
    /// Never earlier after a change than before it (meeting, stopping and acknowledging remove work; the sweep
    /// moves past now), except after a pause or a resume, for which <see cref="IncidentService.ChangeAsync"/> writes
    /// the earlier entry before it commits. The due index relies on this: an entry earlier than this instant is harmless.
    /// </remarks>
    public Instant? NextDueAt =>
        Clocks.Select(c => c.NextDueAt(Plan)).Where(d => d is not null).DefaultIfEmpty(null).Min();

    /// <summary>The clocks whose ladder an acknowledgement could stop now: running, escalated, not yet acknowledged.</summary>
    public IReadOnlyList<ResponseClock> Escalated => [.. Clocks.Where(c => c.Level > 0 && c.AcknowledgedAt is null && c.IsOpen)];

    /// <summary>The highest escalation level an unacknowledged ladder stands at; 0 when none is escalated.</summary>
    public int ReachedLevel => Escalated.Select(c => c.Level).DefaultIfEmpty(0).Max();

    /// <summary>The three clocks started at <paramref name="at"/> with the policy's targets and business hours.</summary>
    public static EscalationLadder Start(EscalationPlan plan, ClockTargets targets, Instant at) => new(plan, new ClockSet(
        ResponseClock.Start(ClockKind.Dispatch, at, targets.Dispatch) with { Calendar = targets.Calendar },
        ResponseClock.Start(ClockKind.Arrival, at, targets.Arrival) with { Calendar = targets.Calendar },
        ResponseClock.Start(ClockKind.Resolution, at, targets.Resolution) with { Calendar = targets.Calendar }));

    /// <summary>Pauses one clock (<see cref="Incident.Pause"/> has checked it may be); its warnings and ladder wait.</summary>
    public EscalationLadder Pause(ClockKind kind, ClockPause pause) => this with { Clocks = Clocks.With(Clocks[kind].PauseWith(pause)) };

    public EscalationLadder Resume(ClockKind kind, Instant at, Person by) => this with { Clocks = Clocks.With(Clocks[kind].ResumeAt(at, by)) };

    public EscalationLadder Meet(ClockKind kind, Instant at, Ownership owners) => this with { Clocks = Clocks.With(Clocks[kind].MeetAt(at, owners)) };

    /// <summary>Stops every clock still running; a clock already past its deadline stays breached.</summary>
    public EscalationLadder StopAll(Instant at, Ownership owners) => this with { Clocks = Clocks.Select(c => c.StopAt(at, owners)) };

    /// <summary>
    /// Climbs every rung that has come due by <paramref name="now"/>, clock by clock: warnings at each warning
    /// point while the deadline is still ahead, the breach (level 1) at the deadline, and each further level once
    /// its delay since the breach has passed. After downtime every missed rung is climbed at once; a warning whose
    /// deadline has already passed is moot and is passed over. A pause that has reached its maximum ends at that
    /// very instant, whenever the sweep comes, and the clock climbs on from there.
    /// </summary>
    public (EscalationLadder Ladder, IReadOnlyList<Rung> Rungs, IReadOnlyList<AutoResume> Resumed) Sweep(Instant now, Ownership owners)
    {
        var rungs = new List<Rung>();
        var resumed = new List<AutoResume>();
        var clocks = Clocks;
        foreach (var original in Clocks)
        {
            var clock = original;
            while (clock.IsOpen && clock.NextDueAt(Plan) is { } due && due <= now)
            {
                if (clock.Pause is { TellChiefAt: { } tell, ChiefTold: false } held && tell < held.ResumesBy)
                {
                    clock = clock with { Pauses = clock.Pauses.ChiefToldOfCurrent() };
                    rungs.Add(new Rung(clock, NoticeKind.LongPause, clock.Pauses.Items.Count, Audience.Chief, tell));
                }
                else if (clock.Pause is { } pause)
                {
                    clock = clock.ResumeAt(pause.ResumesBy, Person.Sweep);
                    resumed.Add(new AutoResume(clock, clock.Pauses.Items[^1]));
                }
                else if (clock.WarningsSent < Plan.WarnAt.Count && clock.WarningAt(Plan.WarnAt[clock.WarningsSent]) < clock.Deadline)
                {
                    var warning = clock.WarningsSent + 1;
                    clock = clock with { WarningsSent = warning };
                    if (now < clock.Deadline)
                    {
                        rungs.Add(new Rung(clock, NoticeKind.Warning, warning, Audience.DutyOfficer, due));
                    }
                }
                else
                {
                    var level = clock.Level + 1;
                    clock = clock with
                    {
                        Level = level,
                        WarningsSent = Plan.WarnAt.Count,
                        Breach = clock.Breach ?? new BreachFact(clock.Deadline, owners.HolderAt(clock.Kind, clock.StartedAt, clock.Deadline), now),
                    };
                    rungs.Add(new Rung(clock, NoticeKind.Escalation, level, Plan.AudienceOf(level), due));
                }
            }

            clocks = clocks.With(clock);
        }

        return (this with { Clocks = clocks }, rungs, resumed);
    }

    /// <summary>
    /// Records that <paramref name="actor"/> has taken charge: the ladder of each escalated clock that
    /// <paramref name="mayStop"/> allows stops climbing; every other clock is judged on its own and keeps climbing.
    /// </summary>
    /// <param name="seen">The level the caller saw, if they said; what is judged is the level each ladder has actually reached.</param>
    /// <exception cref="InvalidTransitionException">Nothing is escalated (409).</exception>
    /// <exception cref="StaleLevelException">The ladder stands at another level than the caller saw (409).</exception>
    /// <exception cref="ForbiddenException">No escalated ladder stands at a level the caller is entitled to (403).</exception>
    public (EscalationLadder Ladder, IReadOnlyList<ResponseClock> Stopped) Acknowledge(
        IncidentId id, int? seen, Func<ResponseClock, bool> mayStop, Instant now, Person actor)
    {
        var escalated = Escalated;
        if (escalated.Count == 0)
        {
            throw new InvalidTransitionException($"Incident {id} has nothing escalated to acknowledge.") { Refusal = new("nothing-escalated", ("incident", id.Value)) };
        }

        var reached = ReachedLevel;
        if (seen is { } level && level != reached)
        {
            throw new StaleLevelException(id, level, reached);
        }

        var stopped = escalated.Where(mayStop).ToList();
        if (stopped.Count == 0)
        {
            var lowest = escalated.Min(c => c.Level);
            throw new ForbiddenException(
                $"Only the audience of level {lowest} or above ({Plan.AudienceOf(lowest).Name()} and up) may acknowledge escalation level {lowest} of this incident.")
            {
                Refusal = new("may-not-acknowledge", ("level", lowest), ("audience", Plan.AudienceOf(lowest))),
            };
        }

        var clocks = Clocks.Select(c => stopped.Contains(c) ? c with { AcknowledgedAt = now, AcknowledgedBy = actor } : c);
        return (this with { Clocks = clocks }, stopped);
    }
}
