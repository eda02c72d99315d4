using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Reports;

/// <summary>
/// One clock of one incident, as a report counts it at <c>now</c>: its duration if its phase was completed,
/// whether it was met or breached, and who answered for it. Built from the facts frozen when the clock ended
/// (or, for incidents stored before those were kept, from their milestones, marked <see cref="Derived"/>).
/// </summary>
/// <param name="Elapsed">Start of the phase to its completion; null while it runs or when it was stopped unfinished.</param>
/// <param name="Breached">The deadline passed unmet: met late, cancelled after it, or still running past it.</param>
/// <param name="Accountable">Who held the phase when it was met, or when its deadline passed; while it runs, who holds it.</param>
public sealed record ClockSample(
    ClockKind Kind, Duration? Elapsed, bool Met, bool Breached, bool Running, bool OverdueNow,
    int Level, Duration? TimeToAcknowledge, Holder Accountable, bool Derived)
{
    public Instant Deadline { get; init; }

    /// <summary>How far past its deadline it ended, or while it runs, how far past it is at <c>now</c>; zero when not past it.</summary>
    public Duration OverdueBy { get; init; }

    public Person? AcknowledgedBy { get; init; }

    public Instant? AcknowledgedAt { get; init; }

    /// <summary>Start to completion with the paused time counted in, as if it had never been paused (issue 28); null as <see cref="Elapsed"/> is.</summary>
    public Duration? RawElapsed { get; init; }

    /// <summary>Met by the deadline it had before any pause.</summary>
    public bool RawMet { get; init; }

    /// <summary>Past the deadline it had before any pause: met late by it, stopped after it, or still running past it.</summary>
    public bool RawBreached { get; init; }

    /// <summary>The deadline before any pause: what the raw clock is judged by.</summary>
    public Instant RawDeadline { get; init; }

    /// <summary>
    /// The deadline a running clock has if nobody resumes it before its pause's maximum: what a digest keeps. While
    /// paused a clock is never overdue (its deadline moves on with the pause), and once the maximum has passed its
    /// deadline is this one, so "overdue at <c>t</c>" reads the same from it at any later <c>t</c>.
    /// </summary>
    public Instant LatestDeadline { get; init; }

    /// <summary>Its pauses, each with how long it held the clock (by <c>now</c>, for one still on).</summary>
    public IReadOnlyList<PausedSpan> Pauses { get; init; } = [];

    public static ClockSample Of(Incident incident, ClockKind kind, Instant now)
    {
        var clock = incident.Clocks[kind];
        var outcome = incident.OutcomeOf(kind);
        var running = outcome is null;
        // While paused the deadline moves on with the pause: judged as it stands now.
        var deadline = clock.DeadlineAt(now);
        var breached = outcome?.Result == ClockResult.Breached || (running && now >= deadline);
        var accountable = clock.Breach?.Holder ?? outcome?.Accountable ?? incident.HolderAt(kind, now);
        Duration? toAcknowledge = clock.AcknowledgedAt is { } ack ? ack - (clock.Breach?.At ?? clock.Deadline) : null;
        return new ClockSample(
            kind,
            Elapsed: clock.MetAt is { } met ? clock.RunningTimeAt(met) : null,
            Met: outcome?.Result == ClockResult.Met,
            Breached: breached,
            Running: running,
            OverdueNow: running && now >= deadline,
            Level: clock.Level,
            TimeToAcknowledge: toAcknowledge,
            Accountable: accountable,
            Derived: outcome?.Derived == true)
        {
            Deadline = deadline,
            OverdueBy = outcome?.OverdueBy ?? Duration.Max(now - deadline, Duration.Zero),
            AcknowledgedBy = clock.AcknowledgedBy,
            AcknowledgedAt = clock.AcknowledgedAt,
            RawElapsed = clock.MetAt is { } metAt ? clock.RawTimeAt(metAt) : null,
            RawMet = clock.MetAt <= clock.RawDeadline,
            RawBreached = clock.MetAt > clock.RawDeadline || clock.StoppedAt >= clock.RawDeadline || (running && now >= clock.RawDeadline),
            RawDeadline = clock.RawDeadline,
            LatestDeadline = clock.Pause is { } current ? clock.DeadlineAt(current.ResumesBy) : deadline,
            Pauses = [.. clock.Pauses.Items.Select(p => new PausedSpan(incident.Id, kind, p, p.LengthAt(clock.EndedAt ?? now)) { End = p.ResumedAt ?? clock.EndedAt })],
        };
    }
}

/// <summary>One pause of one clock as a report counts it: how long it held the clock.</summary>
public sealed record PausedSpan(IncidentId Incident, ClockKind Clock, ClockPause Pause, Duration Length)
{
    /// <summary>When it ended (resumed, or its clock met or stopped); null while it lasts, its length then growing up to its maximum.</summary>
    public Instant? End { get; init; }

    /// <summary>The same pause counted at <paramref name="now"/>: what a digest written earlier reads as now.</summary>
    public PausedSpan AsOf(Instant now) => this with { Length = Instant.Min(End ?? now, Pause.ResumesBy) - Pause.At };
}

/// <summary>A milestone missing where one is expected: counted and listed, never silently dropped.</summary>
public sealed record Finding(IncidentId Incident, string Problem)
{
    public static IEnumerable<Finding> In(Incident incident)
    {
        if (incident.ResolvedAt is not null && incident.OnSceneAt is null)
        {
            yield return new Finding(incident.Id, "resolved with no arrival recorded");
        }

        if (incident.OnSceneAt is not null && incident.DispatchedAt is null)
        {
            yield return new Finding(incident.Id, "on scene with no dispatch recorded");
        }

        if (incident.ClosedAt is not null && incident.ResolvedAt is null)
        {
            yield return new Finding(incident.Id, "closed with no resolution recorded");
        }
    }
}

/// <summary>
/// An incident as the reports read it, as of an instant: what they group by, count and list, and each clock's
/// <see cref="ClockSample"/>. Built once from the incident where its row is read (<see cref="Of"/>), so the
/// reports never hold whole incidents and a change to the aggregate stops at that one function.
/// </summary>
public sealed record ReportedIncident(
    IncidentId Id, StationId Station, string Category, Priority Priority, Zone Zone, Instant ReportedAt, Person Dispatcher,
    IncidentStatus Status, bool IsOpen, IReadOnlyList<Finding> Findings, IReadOnlyList<ClockSample> Clocks)
{
    public ClockSample this[ClockKind kind] => Clocks.Single(c => c.Kind == kind);

    /// <summary>Each clock whose deadline passed unmet, with who held it then (deadline order is the reader's).</summary>
    public IEnumerable<BreachLine> Breaches => Clocks.Where(s => s.Breached).Select(s => new BreachLine(
        Id, Station, Category, Priority, s.Kind, s.Deadline, s.Accountable, s.OverdueBy, s.Running, s.Level, s.AcknowledgedBy, s.AcknowledgedAt));

    public static ReportedIncident Of(Incident incident, Instant asOf) => new(
        incident.Id, incident.Station, incident.Report.Category, incident.Report.Priority, incident.Report.Zone, incident.ReportedAt, incident.ReportedBy,
        incident.Status, incident.IsOpen, [.. Finding.In(incident)], [.. incident.Clocks.Select(c => ClockSample.Of(incident, c.Kind, asOf))]);
}
