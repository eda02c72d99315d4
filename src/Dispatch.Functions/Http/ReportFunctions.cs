using Dispatch.Contracts;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Reports;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Functions.Http;

/// <summary>The accountability reports (README, "Reports"): JSON, or CSV with <c>Accept: text/csv</c>.</summary>
public sealed class ReportFunctions(ReportService reports, Endpoint endpoint)
{
    /// <summary>Long enough for a year's comparison, short enough that one request stays within its budget.</summary>
    public const int MaxDays = 366;

    /// <summary>The days a report can name: each has a start and an end in every time zone (years 1 to 9999).</summary>
    private static readonly LocalDate FirstDay = new(1, 1, 1);

    private static readonly LocalDate LastDay = new(9999, 12, 30);

    private static readonly Phrase ServedDays = Phrase.Of("field.report-days",
        ("first", FirstDay.ToString("uuuu-MM-dd", System.Globalization.CultureInfo.InvariantCulture)), ("last", LastDay.ToString("uuuu-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));

    [Function("GetResponseTimeReport")]
    public Task<IActionResult> ResponseTimes(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/response-times")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = new RequestReader();
            var (scope, range) = ReadScopeAndRange(reader, request.Query);
            var labels = ReadLabels(reader, request);
            var kind = ReadClock(reader, request.Query);
            var by = ReadBy(reader, request.Query, "by", GroupBy.Priority, Enum.GetValues<GroupBy>());
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var report = ResponseTimesResource.From(await reports.ResponseTimesAsync(call, scope!, range!, kind, by, ct), Words.For(ApiLanguage.Of(request.HttpContext)));
            return WantsCsv(request) ? ApiResult.Text(ReportCsv.Of(report, labels), ReportCsv.ContentType) : new ApiResult(200, report);
        });

    [Function("GetRankingReport")]
    public Task<IActionResult> Ranking(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/ranking")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = new RequestReader();
            var (scope, range) = ReadScopeAndRange(reader, request.Query);
            var labels = ReadLabels(reader, request);
            var kind = ReadClock(reader, request.Query);
            var by = ReadBy(reader, request.Query, "by", GroupBy.Unit, ReportService.RankableBy);
            var bottom = 10;
            if (request.Query["bottom"].ToString() is { Length: > 0 } text && (!int.TryParse(text, out bottom) || bottom is < 1 or > 1000))
            {
                reader.Add("bottom", Phrase.Of("field.bottom"));
            }

            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var report = RankingResource.From(await reports.RankingAsync(call, scope!, range!, kind, by, bottom, ct), Words.For(ApiLanguage.Of(request.HttpContext)));
            return WantsCsv(request) ? ApiResult.Text(ReportCsv.Of(report, labels), ReportCsv.ContentType) : new ApiResult(200, report);
        });

    [Function("GetBreachReport")]
    public Task<IActionResult> Breaches(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/breaches")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = new RequestReader();
            var (scope, range) = ReadScopeAndRange(reader, request.Query);
            var labels = ReadLabels(reader, request);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var report = BreachesResource.From(await reports.BreachesAsync(call, scope!, range!, ct));
            return WantsCsv(request) ? ApiResult.Text(ReportCsv.Of(report, labels), ReportCsv.ContentType) : new ApiResult(200, report);
        });

    /// <summary>A CSV's row of column names people read: in <c>?labels=</c>'s language, else in the one Accept-Language asks for; none for a client that asks for neither.</summary>
    private static Words? ReadLabels(RequestReader reader, HttpRequest request)
    {
        var text = request.Query["labels"].ToString();
        if (text.Length == 0)
        {
            return ApiLanguage.Asked(request) is { } asked ? Words.For(asked) : null;
        }

        if (LanguageNames.TryMatch(text, out var language))
        {
            return Words.For(language);
        }

        reader.Add("labels", Phrase.Of("field.choice", ("value", Endpoint.Truncate(text)), ("allowed", string.Join(", ", LanguageNames.All))));
        return null;
    }

    private static bool WantsCsv(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains(ReportCsv.ContentType, StringComparison.OrdinalIgnoreCase);

    private (ReportScope? Scope, ReportRange? Range) ReadScopeAndRange(RequestReader reader, IQueryCollection query)
    {
        ReportScope? scope = null;
        var stationText = query["station"].ToString();
        if (string.Equals(stationText, "all", StringComparison.OrdinalIgnoreCase))
        {
            scope = ReportScope.All;
        }
        else if (StationId.TryParse(stationText, out var station))
        {
            scope = new ReportScope(station);
        }
        else
        {
            reader.Add("station", Phrase.Of("field.report-station", ("rule", Phrase.Of("rule.station"))));
        }

        var from = ReadDate(reader, query, "from");
        var to = ReadDate(reader, query, "to");
        if (from is null || to is null)
        {
            return (scope, null);
        }

        // A day's end is the next day's start: the calendar's last day has none (it was a 500, issue 23).
        if (from < FirstDay || from > LastDay)
        {
            reader.Add("from", ServedDays);
            return (scope, null);
        }

        if (to < FirstDay || to > LastDay)
        {
            reader.Add("to", ServedDays);
            return (scope, null);
        }

        if (to < from)
        {
            reader.Add("to", Phrase.Of("field.to-after-from"));
            return (scope, null);
        }

        if (Period.Between(from.Value, to.Value, PeriodUnits.Days).Days + 1 > MaxDays)
        {
            reader.Add("to", Phrase.Of("field.max-days", ("max", MaxDays)));
            return (scope, null);
        }

        var range = reports.Range(from.Value, to.Value);
        try
        {
            _ = (range.Start, range.End); // both ends exist as instants in the policy's zone, or it is the client's 400, not our 500
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            reader.Add("to", Phrase.Of("field.outside-zone"));
            return (scope, null);
        }

        return (scope, range);
    }

    private static LocalDate? ReadDate(RequestReader reader, IQueryCollection query, string field)
    {
        var text = query[field].ToString();
        if (LocalDatePattern.Iso.Parse(text) is { Success: true } date)
        {
            return date.Value;
        }

        reader.Add(field, text.Length == 0 ? Phrase.Of("field.date-required") : Phrase.Of("field.date", ("value", Endpoint.Truncate(text))));
        return null;
    }

    private static ClockKind ReadClock(RequestReader reader, IQueryCollection query)
    {
        var text = query["clock"].ToString();
        if (text.Length == 0)
        {
            return ClockKind.Arrival;
        }

        if (WireNames.TryParse(text, out ClockKind kind))
        {
            return kind;
        }

        reader.Add("clock", Phrase.Of("field.clock"));
        return ClockKind.Arrival;
    }

    private static GroupBy ReadBy(RequestReader reader, IQueryCollection query, string field, GroupBy fallback, IReadOnlyList<GroupBy> allowed)
    {
        var text = query[field].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }

        if (WireNames.TryParse(text, out GroupBy by) && allowed.Contains(by))
        {
            return by;
        }

        reader.Add(field, Phrase.Of("field.one-of", ("allowed", string.Join(", ", allowed.Select(a => a.Name())))));
        return fallback;
    }
}
