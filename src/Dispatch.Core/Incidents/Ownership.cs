using Dispatch.Core.Identity;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// Who held which phase of an incident: the dispatcher who took the report (the desk) until a unit is
/// dispatched, then each assigned unit and its officer until the next handoff. Whoever holds a clock's phase
/// when it is met, or when its deadline passes, answers for it.
/// </summary>
/// <param name="Assignments">The dispatch and every re-dispatch, oldest first.</param>
public sealed record Ownership(Person Desk, IReadOnlyList<Assignment> Assignments)
{
    public string? Unit => Assignments.Count == 0 ? null : Assignments[^1].Unit;

    public Person? Officer => Assignments.Count == 0 ? null : Assignments[^1].Officer;

    /// <summary>From <paramref name="assignment"/> on, its unit and officer hold the incident.</summary>
    public Ownership HandTo(Assignment assignment) => this with { Assignments = [.. Assignments, assignment] };

    /// <summary>Who held the phase of a clock that started at <paramref name="start"/>, at <paramref name="at"/>.</summary>
    public Holder HolderAt(ClockKind kind, Instant start, Instant at)
    {
        var periods = PeriodsOf(kind, start, Instant.Max(at, start));
        return periods.LastOrDefault(p => p.From <= at)?.Holder ?? periods[0].Holder;
    }

    /// <summary>
    /// The ownership periods of a clock's phase from its start to <paramref name="end"/>: the dispatch phase is
    /// the desk's; arrival and resolution are the desk's until a unit is dispatched, then each assigned unit's
    /// until the next handoff.
    /// </summary>
    public IReadOnlyList<Holding> PeriodsOf(ClockKind kind, Instant start, Instant end)
    {
        var desk = new Holder(HolderKind.Dispatcher, Desk, null);
        if (kind == ClockKind.Dispatch)
        {
            return [new Holding(desk, start, end)];
        }

        var periods = new List<Holding>();
        var from = start;
        var holder = desk;
        foreach (var assignment in Assignments.Where(a => a.At < end))
        {
            if (assignment.At > from)
            {
                periods.Add(new Holding(holder, from, assignment.At));
            }

            from = Instant.Max(from, assignment.At);
            holder = new Holder(HolderKind.Unit, assignment.Officer, assignment.Unit);
        }

        periods.Add(new Holding(holder, from, end));
        return periods;
    }
}
