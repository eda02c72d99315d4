using System.Collections.Concurrent;
using System.Diagnostics;

namespace Dispatch.Bench;

public sealed record LoadResult(double PerSecond, double P50, double P99, int Errors, string? FirstError);

/// <summary>
/// Runs an operation a fixed number of times at a fixed concurrency and times each call. An operation
/// that returns false or throws is an error: a figure built on errors is not a figure.
/// </summary>
public static class Load
{
    public static async Task<LoadResult> RunAsync(int total, int concurrency, Func<int, Task<bool>> operation)
    {
        var latencies = new ConcurrentBag<double>();
        var errors = 0;
        string? firstError = null;
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation(i);
                }
                catch (Exception e) when (e is HttpRequestException or Azure.RequestFailedException or InvalidOperationException or TaskCanceledException)
                {
                    ok = false;
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }

                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        var list = latencies.ToList();
        return new LoadResult(total / stopwatch.Elapsed.TotalSeconds, Stats.Percentile(list, 50), Stats.Percentile(list, 99), errors, firstError);
    }
}
