using NodaTime;

namespace Dispatch.Core.Policy;

/// <summary>
/// Business hours for a priority (issue 28: P4, non-emergency work): the working days of the week, the hours each
/// is open (one span, opening before closing on the same day) and dated holidays, in the station's time zone.
/// Outside them a clock does not run. Pure arithmetic over <see cref="Zone"/>: local hours are turned into instants
/// day by day, so a working day on which the clocks change holds the elapsed time it really has.
/// </summary>
/// <remarks>
/// A local opening or closing time that falls in a daylight-saving gap is taken as the first instant after the gap,
/// and one that falls twice (clocks going back) as its earlier occurrence (NodaTime's lenient resolver).
/// </remarks>
public sealed record BusinessCalendar(DateTimeZone Zone, IReadOnlySet<IsoDayOfWeek> Days, LocalTime Opens, LocalTime Closes, IReadOnlySet<LocalDate> Holidays)
{
    /// <summary>How far ahead a computation looks before giving up: five years of days, far past any response target.</summary>
    private const int MaxDays = 5 * 366;

    /// <summary>Days of the week by their names in a policy and a stored row, Monday first (ISO 8601).</summary>
    public static readonly IReadOnlyList<string> DayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>What a policy's <c>businessHours</c> means where it says nothing: Monday to Friday, 08:30 to 17:30, no holidays.</summary>
    public static readonly IReadOnlySet<IsoDayOfWeek> DefaultDays = new HashSet<IsoDayOfWeek>
    {
        IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday,
    };

    /// <inheritdoc cref="DefaultDays"/>
    public static readonly LocalTime DefaultOpens = new(8, 30);

    /// <inheritdoc cref="DefaultDays"/>
    public static readonly LocalTime DefaultCloses = new(17, 30);

    public static string DayName(IsoDayOfWeek day) => DayNames[(int)day - 1];

    /// <summary>Its working days by name, Monday first: as a policy writes them, and as a row and an answer carry them.</summary>
    public IReadOnlyList<string> DayNamesInOrder => [.. Days.Order().Select(DayName)];

    public static bool TryParseDay(string? text, out IsoDayOfWeek day)
    {
        var index = DayNames.ToList().IndexOf(text ?? "");
        day = index < 0 ? IsoDayOfWeek.None : (IsoDayOfWeek)(index + 1);
        return index >= 0;
    }

    /// <summary>Business time between two instants: the part of [<paramref name="from"/>, <paramref name="to"/>) that falls in working hours.</summary>
    public Duration Between(Instant from, Instant to)
    {
        var total = Duration.Zero;
        foreach (var (opens, closes) in WindowsFrom(from))
        {
            if (opens >= to)
            {
                break;
            }

            total += Instant.Min(closes, to) - Instant.Max(opens, from);
        }

        return total;
    }

    /// <summary>
    /// The instant at which <paramref name="business"/> of business time has elapsed since <paramref name="from"/>: counting
    /// starts at <paramref name="from"/> if it is within hours, else at the next opening. Zero is <paramref name="from"/> itself.
    /// </summary>
    public Instant After(Instant from, Duration business)
    {
        if (business <= Duration.Zero)
        {
            return from;
        }

        var remaining = business;
        foreach (var (opens, closes) in WindowsFrom(from))
        {
            var start = Instant.Max(opens, from);
            if (closes - start >= remaining)
            {
                return start + remaining;
            }

            remaining -= closes - start;
        }

        throw new InvalidOperationException($"No {business} of business time within {MaxDays} days of {from}.");
    }

    /// <summary>The working windows, in order, that end after <paramref name="from"/> (the first may have begun before it).</summary>
    private IEnumerable<(Instant Opens, Instant Closes)> WindowsFrom(Instant from)
    {
        // From the day before: a window of that local day cannot end after from, but starting there costs nothing and is safe.
        var date = from.InZone(Zone).Date.PlusDays(-1);
        for (var i = 0; i < MaxDays; i++, date = date.PlusDays(1))
        {
            if (!Days.Contains(date.DayOfWeek) || Holidays.Contains(date))
            {
                continue;
            }

            var opens = Zone.AtLeniently(date + Opens).ToInstant();
            var closes = Zone.AtLeniently(date + Closes).ToInstant();
            if (closes > from && closes > opens)
            {
                yield return (opens, closes);
            }
        }
    }

    public bool Equals(BusinessCalendar? other) =>
        other is not null && Zone.Id == other.Zone.Id && Days.SetEquals(other.Days) && Opens == other.Opens && Closes == other.Closes && Holidays.SetEquals(other.Holidays);

    public override int GetHashCode() => HashCode.Combine(Zone.Id, Days.Count, Opens, Closes, Holidays.Count);
}
