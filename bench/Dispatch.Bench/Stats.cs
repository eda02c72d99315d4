using System.Globalization;

namespace Dispatch.Bench;

/// <summary>Percentiles of a set of latencies, nearest-rank.</summary>
public static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Rate(double value) => value.ToString("0", CultureInfo.InvariantCulture) + "/s";
}

/// <summary>One line of the results table.</summary>
public sealed record Figure(string Name, string Value, string Baseline, string Ratio, string Note = "");
