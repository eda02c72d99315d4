using System.Globalization;
using System.Text;
using Dispatch.Contracts;
using Dispatch.Core;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Functions.Http;

/// <summary>What every report says about what it covers: the zone, the local days, and the exact instants.</summary>
public sealed record CoverageResource(string Station, string TimeZone, string From, string To, string DayStartsAt, Instant Start, Instant End, Instant AsOf, string Covers)
{
    public static CoverageResource Of(ReportScope scope, ReportRange range, Instant asOf) => new(
        scope.ToString(), range.Zone.Id, Date(range.From), Date(range.To), range.DayStartsAt.ToString("HH:mm", CultureInfo.InvariantCulture),
        range.Start, range.End, asOf, "incidents reported from start (included) to end (excluded); clocks as of asOf");

    public static string Date(LocalDate date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>
/// One group's figures on the adjusted clock (paused time left out), with <c>raw</c> beside them (paused time counted
/// in, judged by the deadline before any pause) and the group's <c>pauses</c> and <c>pausedTime</c> (issue 28).
/// </summary>
public sealed record FiguresResource(
    string Key, string Label, int N, string? Median, string? P90, string? P95, string? Min, string? Max, int Met, int Breached, double? Compliance,
    int StillRunning, int OverdueNow, IReadOnlyDictionary<string, int> EscalationsByLevel, string? MedianTimeToAcknowledge, int Derived, bool SmallSample,
    RawFiguresResource Raw, int Pauses, string PausedTime)
{
    /// <summary>On the arrival clock only (null on the others): how many arrivals the map confirmed, and compliance on those beside <c>compliance</c> on all.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ArrivalsResource? Arrivals { get; init; }

    /// <summary>The figures of a group, its label in the reader's words (a priority, zone, category or weekday as the language says it; the desk).</summary>
    public static FiguresResource From(GroupFigures g, ClockKind clock, GroupBy by, Words words) => new(
        g.Key, LabelOf(g, by, words), g.N, Iso(g.Median), Iso(g.P90), Iso(g.P95), Iso(g.Min), Iso(g.Max), g.Met, g.Breached, g.Compliance, g.StillRunning, g.OverdueNow,
        g.EscalationsByLevel.ToDictionary(l => l.Key.ToString(CultureInfo.InvariantCulture), l => l.Value), Iso(g.MedianTimeToAcknowledge), g.Derived, g.SmallSample,
        new RawFiguresResource(g.Raw.N, Iso(g.Raw.Median), Iso(g.Raw.P90), Iso(g.Raw.P95), g.Raw.Met, g.Raw.Breached, g.Raw.Compliance),
        g.Pauses, IsoDuration.Format(g.PausedTime))
    {
        Arrivals = clock == ClockKind.Arrival ? new ArrivalsResource(g.Arrivals.Arrived, g.Arrivals.Verified, g.Arrivals.Share, g.Arrivals.VerifiedMet, g.Arrivals.VerifiedCompliance) : null,
    };

    /// <summary>The total's label and the desk's (before any unit was dispatched) are words too; keys stay as they are.</summary>
    private static string LabelOf(GroupFigures g, GroupBy by, Words words) => g.Key switch
    {
        "total" => words["group.total"],
        "(desk)" => words["group.desk"],
        _ => by switch
        {
            GroupBy.Priority => words.Word("priority", g.Key),
            GroupBy.Zone => words.Word("zone", g.Key),
            GroupBy.Category => words.Has($"category.{g.Key}") ? words.Word("category", g.Key) : g.Label,
            GroupBy.Weekday => words.Word("weekday", g.Key),
            _ => g.Label,
        },
    };

    public static string? Iso(Duration? duration) => duration is { } d ? IsoDuration.Format(d) : null;
}

/// <param name="VerifiedShare">Verified ÷ arrived; null without arrivals.</param>
/// <param name="VerifiedCompliance">Verified arrivals on time ÷ verified arrivals; null without verified arrivals.</param>
public sealed record ArrivalsResource(int Arrived, int Verified, double? VerifiedShare, int VerifiedMet, double? VerifiedCompliance);

public sealed record RawFiguresResource(int N, string? Median, string? P90, string? P95, int Met, int Breached, double? Compliance);

public sealed record PauseTallyResource(string Key, string Label, int Count, string Time);

/// <summary>The report's pauses: how many, how long, and per reason, per unit holding the incident, per person who paused.</summary>
public sealed record PausesResource(int Count, string Time, IReadOnlyList<PauseTallyResource> ByReason, IReadOnlyList<PauseTallyResource> ByUnit, IReadOnlyList<PauseTallyResource> ByPerson)
{
    /// <summary>The tallies; a reason's label in the reader's words (a reason a station added keeps its own name).</summary>
    public static PausesResource From(PauseFigures p, Words words) => new(
        p.Count, IsoDuration.Format(p.Time), Tallies(p.ByReason, t => words.Word("pause-reason", t.Key)), Tallies(p.ByUnit, t => t.Label), Tallies(p.ByPerson, t => t.Label));

    private static List<PauseTallyResource> Tallies(IReadOnlyList<PauseTally> tallies, Func<PauseTally, string> label) =>
        [.. tallies.Select(t => new PauseTallyResource(t.Key, label(t), t.Count, IsoDuration.Format(t.Time)))];
}

public sealed record BucketResource(string From, string? To, int Count);

public sealed record FindingResource(string IncidentId, string Problem);

public sealed record FindingsResource(int Count, IReadOnlyList<FindingResource> Items);

public sealed record ResponseTimesResource(
    CoverageResource Coverage, string Clock, string By, int Incidents, FiguresResource Total, IReadOnlyList<FiguresResource> Groups,
    IReadOnlyList<BucketResource> Buckets, FindingsResource Findings, PausesResource Pauses)
{
    public static ResponseTimesResource From(ResponseTimeReport r, Words words) => new(
        CoverageResource.Of(r.Scope, r.Range, r.AsOf), r.Clock.Name(), r.By.Name(), r.Incidents,
        FiguresResource.From(r.Total, r.Clock, r.By, words), [.. r.Groups.Select(g => FiguresResource.From(g, r.Clock, r.By, words))],
        [.. r.Buckets.Select(b => new BucketResource(IsoDuration.Format(b.From), b.To is { } to ? IsoDuration.Format(to) : null, b.Count))],
        new FindingsResource(r.Findings.Count, [.. r.Findings.Select(f => new FindingResource(f.Incident.Value, f.Problem))]),
        PausesResource.From(r.Pauses, words));
}

public sealed record RankingResource(CoverageResource Coverage, string Clock, string By, IReadOnlyList<FiguresResource> Ranked, IReadOnlyList<FiguresResource> Unranked)
{
    public static RankingResource From(RankingReport r, Words words) => new(
        CoverageResource.Of(r.Scope, r.Range, r.AsOf), r.Clock.Name(), r.By.Name(),
        [.. r.Ranked.Select(g => FiguresResource.From(g, r.Clock, r.By, words))], [.. r.Unranked.Select(g => FiguresResource.From(g, r.Clock, r.By, words))]);
}

public sealed record BreachResourceLine(
    string IncidentId, string Station, string Category, string Priority, string Clock, Instant Deadline, HolderResource Holder,
    string OverdueBy, bool StillRunning, int Level, PersonResource? AcknowledgedBy, Instant? AcknowledgedAt);

public sealed record BreachesResource(CoverageResource Coverage, int Count, IReadOnlyList<BreachResourceLine> Breaches)
{
    public static BreachesResource From(BreachReport r) => new(
        CoverageResource.Of(r.Scope, r.Range, r.AsOf), r.Breaches.Count,
        [.. r.Breaches.Select(b => new BreachResourceLine(b.Incident.Value, b.Station.Value, b.Category, b.Priority.Name(), b.Clock.Name(), b.Deadline,
            HolderResource.From(b.Holder), IsoDuration.Format(b.OverdueBy), b.StillRunning, b.Level, PersonResource.Maybe(b.AcknowledgedBy), b.AcknowledgedAt))]);
}

/// <summary>
/// The same figures as the JSON, one row per group (the totals first, key <c>total</c>), RFC 4180: a comma
/// between fields, quotes around any field with a comma, quote or line break. Durations are the JSON's ISO-8601;
/// a text field starting with = + - @ gets a leading apostrophe so no spreadsheet runs it. The verified arrivals close
/// each row, filled on the arrival clock only. Asked for labels (in a
/// language), a row of column names people read comes first, above the row of machine keys.
/// </summary>
public static class ReportCsv
{
    public const string ContentType = "text/csv";

    private static readonly string[] FigureColumns =
        ["key", "label", "n", "median", "p90", "p95", "min", "max", "met", "breached", "compliance", "stillRunning", "overdueNow", "medianTimeToAcknowledge", "derived", "smallSample",
         "rawMedian", "rawP90", "rawMet", "rawBreached", "rawCompliance", "pauses", "pausedTime", "arrived", "verified", "verifiedShare", "verifiedMet", "verifiedCompliance"];

    private static readonly string[] BreachColumns =
        ["incidentId", "station", "category", "priority", "clock", "deadline", "holderKind", "holderId", "holderName", "unit", "overdueBy", "stillRunning", "level", "acknowledgedBy", "acknowledgedAt"];

    public static string Of(ResponseTimesResource report, Words? labels = null) => Figures([report.Total, .. report.Groups], labels);

    public static string Of(RankingResource report, Words? labels = null) => Figures([.. report.Ranked, .. report.Unranked], labels);

    public static string Of(BreachesResource report, Words? labels = null)
    {
        var csv = new StringBuilder();
        Header(csv, BreachColumns, labels);
        foreach (var b in report.Breaches)
        {
            Row(csv, [b.IncidentId, b.Station, b.Category, b.Priority, b.Clock, b.Deadline.ToString(), b.Holder.Kind, b.Holder.Person.Id, b.Holder.Person.Name, b.Holder.Unit,
                b.OverdueBy, Bool(b.StillRunning), Int(b.Level), b.AcknowledgedBy?.Id, b.AcknowledgedAt?.ToString()]);
        }

        return csv.ToString();
    }

    private static string Figures(IEnumerable<FiguresResource> groups, Words? labels)
    {
        var csv = new StringBuilder();
        Header(csv, FigureColumns, labels);
        foreach (var g in groups)
        {
            Row(csv, [g.Key, g.Label, Int(g.N), g.Median, g.P90, g.P95, g.Min, g.Max, Int(g.Met), Int(g.Breached),
                g.Compliance?.ToString(CultureInfo.InvariantCulture), Int(g.StillRunning), Int(g.OverdueNow), g.MedianTimeToAcknowledge, Int(g.Derived), Bool(g.SmallSample),
                g.Raw.Median, g.Raw.P90, Int(g.Raw.Met), Int(g.Raw.Breached), g.Raw.Compliance?.ToString(CultureInfo.InvariantCulture), Int(g.Pauses), g.PausedTime,
                .. Arrivals(g.Arrivals)]);
        }

        return csv.ToString();
    }

    /// <summary>The verified-arrival columns: figures on the arrival clock, empty fields on the others (which carry none).</summary>
    private static string?[] Arrivals(ArrivalsResource? a) => a is null
        ? [null, null, null, null, null]
        : [Int(a.Arrived), Int(a.Verified), a.VerifiedShare?.ToString(CultureInfo.InvariantCulture), Int(a.VerifiedMet), a.VerifiedCompliance?.ToString(CultureInfo.InvariantCulture)];

    private static void Header(StringBuilder csv, string[] columns, Words? labels)
    {
        if (labels is not null)
        {
            Row(csv, [.. columns.Select(c => labels[$"csv.{c}"])]);
        }

        Row(csv, columns);
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static void Row(StringBuilder csv, IReadOnlyList<string?> fields)
    {
        csv.AppendJoin(',', fields.Select(Field)).Append("\r\n");
    }

    private static string Field(string? value)
    {
        if (value is null)
        {
            return "";
        }

        // A name or category a person typed must not become a spreadsheet formula (OWASP, CSV injection).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
