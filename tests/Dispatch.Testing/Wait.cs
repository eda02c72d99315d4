namespace Dispatch.Testing;

/// <summary>Waits for a condition with a bound, instead of sleeping for a time a loaded machine might outrun.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(15);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? bound = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < (bound ?? DefaultBound), $"not within {(bound ?? DefaultBound).TotalSeconds:0.#} s: {what}");
            await Task.Delay(50);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < (bound ?? DefaultBound), $"not within {(bound ?? DefaultBound).TotalSeconds:0.#} s: {what}");
            await Task.Delay(50);
        }
    }
}
