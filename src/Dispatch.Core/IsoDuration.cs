using NodaTime;
using NodaTime.Text;

namespace Dispatch.Core;

/// <summary>How every duration is written for people and on the wire.</summary>
public static class IsoDuration
{
    /// <summary>ISO-8601, normalised to days, hours, minutes and seconds (PT5M, P3D, PT1M30S).</summary>
    public static string Format(Duration duration) =>
        duration < Duration.FromSeconds(1)
            ? "PT0S"
            : PeriodPattern.NormalizingIso.Format(Period.FromSeconds((long)Math.Floor(duration.TotalSeconds)).Normalize());
}
