using System.Collections;

namespace Dispatch.Core.Incidents;

/// <summary>An incident's three response clocks; a change to "the clocks" is a change to this one value.</summary>
public sealed record ClockSet(ResponseClock Dispatch, ResponseClock Arrival, ResponseClock Resolution) : IEnumerable<ResponseClock>
{
    public ResponseClock this[ClockKind kind] => kind switch
    {
        ClockKind.Dispatch => Dispatch,
        ClockKind.Arrival => Arrival,
        ClockKind.Resolution => Resolution,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public ClockSet With(ResponseClock clock) => clock.Kind switch
    {
        ClockKind.Dispatch => this with { Dispatch = clock },
        ClockKind.Arrival => this with { Arrival = clock },
        ClockKind.Resolution => this with { Resolution = clock },
        _ => throw new ArgumentOutOfRangeException(nameof(clock)),
    };

    public ClockSet Select(Func<ResponseClock, ResponseClock> change) => new(change(Dispatch), change(Arrival), change(Resolution));

    public IEnumerator<ResponseClock> GetEnumerator() => ((IEnumerable<ResponseClock>)[Dispatch, Arrival, Resolution]).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
