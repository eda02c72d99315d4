using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Testing;

/// <summary>
/// Moves a FakeClock on with real time, <see cref="Rate"/> times as fast, until disposed: countdowns tick, and a
/// test can still jump it ahead.
/// </summary>
public sealed class RunningClock : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task ticking;

    public RunningClock(FakeClock clock, double rate = 1)
    {
        Rate = rate;
        ticking = Task.Run(async () =>
        {
            var last = DateTime.UtcNow;
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(100);
                var now = DateTime.UtcNow;
                clock.Advance(Duration.FromTimeSpan((now - last) * rate));
                last = now;
            }
        });
    }

    public double Rate { get; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await ticking;
        stop.Dispose();
    }
}
