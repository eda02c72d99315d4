using NodaTime;

namespace Dispatch.Core.Reports;

/// <summary>
/// Local days <see cref="From"/> to <see cref="To"/>, both included, in the policy's time zone, each starting at
/// <see cref="DayStartsAt"/> (110 statistics are cut at 08:00). A day across a daylight-saving change is 23 or
/// 25 hours long, because its ends are local times.
/// </summary>
public sealed record ReportRange(LocalDate From, LocalDate To, DateTimeZone Zone, LocalTime DayStartsAt)
{
    /// <summary>The instant the first day starts.</summary>
    public Instant Start => StartOf(From);

    /// <summary>The instant after the last day ends (exclusive).</summary>
    public Instant End => StartOf(To.PlusDays(1));

    public int Days => Period.Between(From, To, PeriodUnits.Days).Days + 1;

    /// <summary>ISO dates whatever the host's culture, as the audit line and file names show them.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{From:uuuu-MM-dd}..{To:uuuu-MM-dd}");

    public Instant StartOf(LocalDate day) => day.At(DayStartsAt).InZoneLeniently(Zone).ToInstant();

    /// <summary>The station-day an instant belongs to: before <see cref="DayStartsAt"/> it is still the day before.</summary>
    public LocalDate DayOf(Instant instant) => DayOf(instant, Zone, DayStartsAt);

    public static LocalDate DayOf(Instant instant, DateTimeZone zone, LocalTime dayStartsAt)
    {
        var local = instant.InZone(zone).LocalDateTime;
        return local.TimeOfDay < dayStartsAt ? local.Date.PlusDays(-1) : local.Date;
    }
}
