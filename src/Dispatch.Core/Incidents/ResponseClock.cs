using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>
/// One response window of an incident. Its target and deadline are fixed when the incident is reported,
/// so a later change of policy never moves them.
/// </summary>
public sealed record ResponseClock(ClockKind Kind, Duration Target, Instant Deadline, Instant? MetAt, Instant? StoppedAt)
{
    public static ResponseClock Start(ClockKind kind, Instant reportedAt, Duration target) =>
        new(kind, target, reportedAt + target, null, null);

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

    internal ResponseClock Meet(Instant at) => IsOpen ? this with { MetAt = at } : this;

    internal ResponseClock Stop(Instant at) => IsOpen ? this with { StoppedAt = at } : this;
}
