namespace Dispatch.Testing;

/// <summary>The system clock moved on by <see cref="Shift"/>, so a case can pass a 20-second window at once.</summary>
public sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Shift { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
}
