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

    /// <summary>
    /// Two operations in alternating blocks of <see cref="Block"/> calls, <paramref name="count"/> calls each, each timed
    /// apart: a figure and its baseline under the same conditions (the emulator's table as it grows, the machine's load
    /// as it comes and goes), each side running a stretch of calls as it would alone. Rates are per second of each
    /// one's own time.
    /// </summary>
    public static async Task<(LoadResult A, LoadResult B)> InterleavedAsync(int count, Func<Task<bool>> a, Func<Task<bool>> b)
    {
        var times = (A: new List<double>(count), B: new List<double>(count));
        var errors = new int[2];
        string? firstError = null;
        for (var done = 0; done < count; done += Block)
        {
            foreach (var which in new[] { 0, 1 })
            {
                for (var i = done; i < Math.Min(count, done + Block); i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    bool ok;
                    try
                    {
                        ok = await (which == 0 ? a : b)();
                    }
                    catch (Exception e) when (e is HttpRequestException or Azure.RequestFailedException or InvalidOperationException or TaskCanceledException)
                    {
                        ok = false;
                        firstError ??= e.Message;
                    }

                    (which == 0 ? times.A : times.B).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (!ok)
                    {
                        errors[which]++;
                        firstError ??= "an answer other than the expected one";
                    }
                }
            }
        }

        LoadResult Result(List<double> list, int failed) =>
            new(list.Count / (list.Sum() / 1000), Stats.Percentile(list, 50), Stats.Percentile(list, 99), failed, failed > 0 ? firstError : null);
        return (Result(times.A, errors[0]), Result(times.B, errors[1]));
    }

    private const int Block = 50;
}
