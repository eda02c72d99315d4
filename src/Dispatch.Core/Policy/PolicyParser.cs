using System.Text.Json;
using Dispatch.Core.Incidents;
using NodaTime;
using NodaTime.Text;
using static Dispatch.Core.Policy.PolicyJson;

namespace Dispatch.Core.Policy;

/// <summary>A policy document that cannot be used; <see cref="Exception.Message"/> names the field.</summary>
public sealed class PolicyException(string field, string problem)
    : Exception($"Response policy field '{field}': {problem}")
{
    public string Field { get; } = field;
}

/// <summary>Reads a response policy from its JSON form (README, "Response policy"), refusing anything doubtful.</summary>
public static class PolicyParser
{
    public static ResponsePolicy Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new PolicyException("$", $"not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            RequireKind(root, JsonValueKind.Object, "$");
            RejectUnknown(root, "$", "version", "timeZone", "priorities", "zones", "warnAt", "escalation", "immediate", "reports", "units", "pauses", "language", "stations");

            var version = RequiredString(root, "version", "version");
            var zone = ParseTimeZone(root);
            var zones = ParseZoneFactors(Required(root, "zones", "zones"), "zones");
            var priorities = ParsePriorities(Required(root, "priorities", "priorities"), zone);
            var warnAt = ParseWarnAt(root);
            var escalation = ParseEscalation(root);
            var immediate = ParseImmediate(root);
            var reports = ParseReports(root);
            var units = ParseUnits(root);
            var pauses = ParsePauses(root);
            var language = root.TryGetProperty("language", out _) ? ParseLanguage(root, "language", "language") : Language.ZhCn;
            return new ResponsePolicy(version, zone, priorities, zones, warnAt, escalation, immediate, reports, units, language, ParseStations(root), pauses);
        }
    }

    private static DateTimeZone ParseTimeZone(JsonElement root)
    {
        var id = RequiredString(root, "timeZone", "timeZone");
        return DateTimeZoneProviders.Tzdb.GetZoneOrNull(id)
            ?? throw new PolicyException("timeZone", $"'{id}' is not an IANA time zone (e.g. Asia/Shanghai)");
    }

    private static Dictionary<Priority, PriorityTargets> ParsePriorities(JsonElement element, DateTimeZone timeZone)
    {
        RequireKind(element, JsonValueKind.Object, "priorities");
        var result = new Dictionary<Priority, PriorityTargets>();
        foreach (var property in element.EnumerateObject())
        {
            var path = $"priorities.{property.Name}";
            if (!WireNames.TryParse(property.Name, out Priority priority))
            {
                throw new PolicyException(path, "unknown priority; expected P1, P2, P3 or P4");
            }

            var value = property.Value;
            RequireKind(value, JsonValueKind.Object, path);
            RejectUnknown(value, path, "dispatch", "arrival", "resolution", "zones", "businessHours");
            var dispatch = RequiredDuration(value, "dispatch", $"{path}.dispatch");
            var arrival = RequiredDuration(value, "arrival", $"{path}.arrival");
            var resolution = RequiredDuration(value, "resolution", $"{path}.resolution");
            var zones = value.TryGetProperty("zones", out var z) ? ParseZoneFactors(z, $"{path}.zones") : null;
            var hours = value.TryGetProperty("businessHours", out var h) ? ParseBusinessHours(h, priority, timeZone, $"{path}.businessHours") : null;
            result[priority] = new PriorityTargets(dispatch, arrival, resolution, zones) { BusinessHours = hours };
        }

        foreach (var priority in Enum.GetValues<Priority>())
        {
            if (!result.ContainsKey(priority))
            {
                throw new PolicyException($"priorities.{priority.Name()}", "missing; every priority P1-P4 needs targets");
            }
        }

        return result;
    }

    /// <summary>
    /// <c>"businessHours": { "days": ["mon", …, "fri"], "opens": "08:30", "closes": "17:30", "holidays": ["2026-10-01"] }</c>,
    /// each optional (Monday to Friday, 08:30 to 17:30, no holidays), in the policy's time zone. P4 only: an emergency's
    /// clocks run round the clock.
    /// </summary>
    private static BusinessCalendar ParseBusinessHours(JsonElement element, Priority priority, DateTimeZone timeZone, string path)
    {
        if (priority != Priority.P4)
        {
            throw new PolicyException(path, "only P4 (non-emergency work) may have business hours; the clocks of P1-P3 run round the clock");
        }

        RequireKind(element, JsonValueKind.Object, path);
        RejectUnknown(element, path, "days", "opens", "closes", "holidays");
        var days = new HashSet<IsoDayOfWeek>(BusinessCalendar.DefaultDays);
        if (element.TryGetProperty("days", out var dayList))
        {
            RequireKind(dayList, JsonValueKind.Array, $"{path}.days");
            days.Clear();
            var index = 0;
            foreach (var item in dayList.EnumerateArray())
            {
                var itemPath = $"{path}.days[{index++}]";
                if (item.ValueKind != JsonValueKind.String || !BusinessCalendar.TryParseDay(item.GetString(), out var day))
                {
                    throw new PolicyException(itemPath, $"must be a day of the week: {string.Join(", ", BusinessCalendar.DayNames)}");
                }

                if (!days.Add(day))
                {
                    throw new PolicyException(itemPath, $"'{item.GetString()}' is listed twice");
                }
            }

            if (days.Count == 0)
            {
                throw new PolicyException($"{path}.days", "needs at least one working day");
            }
        }

        var opens = OptionalTimeOfDay(element, "opens", $"{path}.opens", "08:30") ?? BusinessCalendar.DefaultOpens;
        var closes = OptionalTimeOfDay(element, "closes", $"{path}.closes", "08:30") ?? BusinessCalendar.DefaultCloses;
        if (closes <= opens)
        {
            throw new PolicyException($"{path}.closes", $"must be later than opens ({opens:HH:mm}): business hours are one span within a day");
        }

        var holidays = new HashSet<LocalDate>();
        if (element.TryGetProperty("holidays", out var holidayList))
        {
            RequireKind(holidayList, JsonValueKind.Array, $"{path}.holidays");
            var index = 0;
            foreach (var item in holidayList.EnumerateArray())
            {
                var itemPath = $"{path}.holidays[{index++}]";
                var parsed = item.ValueKind == JsonValueKind.String ? LocalDatePattern.Iso.Parse(item.GetString()!) : null;
                holidays.Add(parsed is { Success: true } ? parsed.Value : throw new PolicyException(itemPath, "must be a date such as 2026-10-01"));
            }
        }

        return new BusinessCalendar(timeZone, days, opens, closes, holidays);
    }

    /// <summary>An optional <c>HH:mm</c> time of day; the error shows <paramref name="example"/> as one.</summary>
    private static LocalTime? OptionalTimeOfDay(JsonElement element, string name, string path, string example)
    {
        if (!element.TryGetProperty(name, out _))
        {
            return null;
        }

        var text = RequiredString(element, name, path);
        var parsed = LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(text);
        return parsed.Success ? parsed.Value : throw new PolicyException(path, $"'{text}' is not a time of day such as {example}");
    }

    private static Dictionary<Zone, double> ParseZoneFactors(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path);
        var result = new Dictionary<Zone, double>();
        foreach (var property in element.EnumerateObject())
        {
            var field = $"{path}.{property.Name}";
            if (!WireNames.TryParse(property.Name, out Zone zone))
            {
                throw new PolicyException(field, "unknown zone; expected urban, suburban or rural");
            }

            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out var factor) || factor <= 0 || factor > 100)
            {
                throw new PolicyException(field, "must be a number greater than 0 and at most 100");
            }

            result[zone] = factor;
        }

        foreach (var zone in Enum.GetValues<Zone>())
        {
            if (!result.ContainsKey(zone))
            {
                throw new PolicyException($"{path}.{zone.Name()}", "missing; every zone needs a factor");
            }
        }

        return result;
    }

    private static List<double> ParseWarnAt(JsonElement root)
    {
        if (!root.TryGetProperty("warnAt", out var element))
        {
            return [];
        }

        RequireKind(element, JsonValueKind.Array, "warnAt");
        var result = new List<double>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var path = $"warnAt[{index++}]";
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var fraction) || fraction <= 0 || fraction >= 1)
            {
                throw new PolicyException(path, "must be a fraction of the window between 0 and 1, exclusive");
            }

            if (result.Count > 0 && fraction <= result[^1])
            {
                throw new PolicyException(path, "fractions must be in increasing order");
            }

            result.Add(fraction);
        }

        return result;
    }

    private static List<EscalationLevel> ParseEscalation(JsonElement root)
    {
        var element = Required(root, "escalation", "escalation");
        RequireKind(element, JsonValueKind.Array, "escalation");
        var result = new List<EscalationLevel>();
        foreach (var item in element.EnumerateArray())
        {
            var path = $"escalation[{result.Count}]";
            RequireKind(item, JsonValueKind.Object, path);
            RejectUnknown(item, path, "level", "after", "to");
            var levelElement = Required(item, "level", $"{path}.level");
            if (levelElement.ValueKind != JsonValueKind.Number || !levelElement.TryGetInt32(out var level) || level != result.Count + 1)
            {
                throw new PolicyException($"{path}.level", $"must be {result.Count + 1}: levels count up from 1 without gaps");
            }

            var after = RequiredDuration(item, "after", $"{path}.after");
            if (result.Count > 0 && after < result[^1].After)
            {
                throw new PolicyException($"{path}.after", "must not be earlier than the level before it");
            }

            result.Add(new EscalationLevel(level, after, ParseAudience(item, "to", $"{path}.to")));
        }

        if (result.Count == 0)
        {
            throw new PolicyException("escalation", "needs at least one level");
        }

        return result;
    }

    private static ImmediateRule ParseImmediate(JsonElement root)
    {
        if (!root.TryGetProperty("immediate", out var element))
        {
            return new ImmediateRule(new HashSet<string>(StringComparer.OrdinalIgnoreCase), Audience.Chief);
        }

        RequireKind(element, JsonValueKind.Object, "immediate");
        RejectUnknown(element, "immediate", "categories", "to");
        var categoriesElement = Required(element, "categories", "immediate.categories");
        RequireKind(categoriesElement, JsonValueKind.Array, "immediate.categories");
        var categories = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var item in categoriesElement.EnumerateArray())
        {
            var path = $"immediate.categories[{index++}]";
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                throw new PolicyException(path, "must be a non-empty category name");
            }

            categories.Add(item.GetString()!.Trim());
        }

        return new ImmediateRule(categories, ParseAudience(element, "to", "immediate.to"));
    }

    private static Audience ParseAudience(JsonElement element, string name, string path)
    {
        var text = RequiredString(element, name, path);
        return AudienceNames.TryParse(text, out var audience)
            ? audience
            : throw new PolicyException(path, $"'{text}' is not an audience; expected {string.Join(", ", AudienceNames.All)}");
    }

    /// <summary><c>"stations": { "yanta-02": { "language": "en" } }</c>: what a station has of its own, optional.</summary>
    private static Dictionary<StationId, Language>? ParseStations(JsonElement root)
    {
        if (!root.TryGetProperty("stations", out var element))
        {
            return null;
        }

        RequireKind(element, JsonValueKind.Object, "stations");
        var languages = new Dictionary<StationId, Language>();
        foreach (var property in element.EnumerateObject())
        {
            var path = $"stations.{property.Name}";
            if (!StationId.TryParse(property.Name, out var station))
            {
                throw new PolicyException(path, $"'{property.Name}' is not a station code ({StationId.Rule})");
            }

            RequireKind(property.Value, JsonValueKind.Object, path);
            RejectUnknown(property.Value, path, "language");
            languages[station] = ParseLanguage(property.Value, "language", $"{path}.language");
        }

        return languages;
    }

    /// <summary><c>"reports": { "dayStartsAt": "08:00", "buckets": { "dispatch": ["PT30S", "PT1M"], … } }</c>, all optional.</summary>
    private static ReportRules? ParseReports(JsonElement root)
    {
        if (OptionalSection(root, "reports", "dayStartsAt", "buckets") is not { } element)
        {
            return null;
        }

        var defaults = ReportRules.Default;
        var dayStartsAt = OptionalTimeOfDay(element, "dayStartsAt", "reports.dayStartsAt", "08:00") ?? defaults.DayStartsAt;

        var edges = new Dictionary<ClockKind, IReadOnlyList<Duration>>(defaults.BucketEdges);
        if (element.TryGetProperty("buckets", out var buckets))
        {
            RequireKind(buckets, JsonValueKind.Object, "reports.buckets");
            RejectUnknown(buckets, "reports.buckets", "dispatch", "arrival", "resolution");
            foreach (var property in buckets.EnumerateObject())
            {
                var path = $"reports.buckets.{property.Name}";
                RequireKind(property.Value, JsonValueKind.Array, path);
                var list = new List<Duration>();
                var index = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    var itemPath = $"{path}[{index++}]";
                    var edge = item.ValueKind == JsonValueKind.String ? ParseDuration(item.GetString()!, itemPath) : throw new PolicyException(itemPath, "must be an ISO-8601 duration string");
                    if (edge <= Duration.Zero || (list.Count > 0 && edge <= list[^1]))
                    {
                        throw new PolicyException(itemPath, "edges must be positive and in increasing order");
                    }

                    list.Add(edge);
                }

                if (list.Count == 0)
                {
                    throw new PolicyException(path, "needs at least one edge");
                }

                _ = WireNames.TryParse(property.Name, out ClockKind clock);
                edges[clock] = list;
            }
        }

        return new ReportRules(dayStartsAt, edges);
    }

    /// <summary><c>"units": { "positionStaleAfter": "PT2M", "trailRetention": "PT24H", "roadFactor": 1.3, "speedsKmh": { "urban": 30, … } }</c>, each optional.</summary>
    private static UnitRules? ParseUnits(JsonElement root)
    {
        if (!root.TryGetProperty("units", out var element))
        {
            return null;
        }

        RequireKind(element, JsonValueKind.Object, "units");
        RejectUnknown(element, "units", "positionStaleAfter", "trailRetention", "roadFactor", "speedsKmh", "arrivalRadiusMeters");
        var defaults = UnitRules.Default;
        var staleAfter = element.TryGetProperty("positionStaleAfter", out _) ? RequiredDuration(element, "positionStaleAfter", "units.positionStaleAfter") : defaults.StaleAfter;
        var retention = element.TryGetProperty("trailRetention", out _) ? RequiredDuration(element, "trailRetention", "units.trailRetention") : defaults.TrailRetention;
        if (staleAfter <= Duration.Zero)
        {
            throw new PolicyException("units.positionStaleAfter", "must be positive");
        }

        if (retention < staleAfter)
        {
            throw new PolicyException("units.trailRetention", "must be at least units.positionStaleAfter: a position is kept at least as long as it counts");
        }

        var roadFactor = defaults.RoadFactor;
        if (element.TryGetProperty("roadFactor", out var factor))
        {
            roadFactor = factor.ValueKind == JsonValueKind.Number && factor.TryGetDouble(out var value) && value is >= 1 and <= 5
                ? value
                : throw new PolicyException("units.roadFactor", "must be a number from 1 to 5 (road distance over straight-line distance)");
        }

        var speeds = new Dictionary<Zone, double>(defaults.SpeedsKmh);
        if (element.TryGetProperty("speedsKmh", out var speedElement))
        {
            RequireKind(speedElement, JsonValueKind.Object, "units.speedsKmh");
            foreach (var property in speedElement.EnumerateObject())
            {
                var path = $"units.speedsKmh.{property.Name}";
                if (!WireNames.TryParse(property.Name, out Zone zone))
                {
                    throw new PolicyException(path, "unknown zone; expected urban, suburban or rural");
                }

                speeds[zone] = property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDouble(out var speed) && speed is > 0 and <= 200
                    ? speed
                    : throw new PolicyException(path, "must be a number of km/h greater than 0 and at most 200");
            }
        }

        var radius = defaults.ArrivalRadiusMeters;
        if (element.TryGetProperty("arrivalRadiusMeters", out var radiusElement))
        {
            radius = radiusElement.ValueKind == JsonValueKind.Number && radiusElement.TryGetDouble(out var value) && value is >= 10 and <= 5000
                ? value
                : throw new PolicyException("units.arrivalRadiusMeters", "must be a number of metres from 10 to 5000");
        }

        return new UnitRules(staleAfter, retention, roadFactor, speeds, radius);
    }

    /// <summary>
    /// <c>"pauses": { "reasons": { "flooded-road": "PT45M", "road-closed": "PT1H" }, "tellChiefAfter": "PT20M" }</c>, all
    /// optional: the reasons named are added to the standard four (or change their maximum pause).
    /// </summary>
    private static PauseRules? ParsePauses(JsonElement root)
    {
        if (OptionalSection(root, "pauses", "reasons", "tellChiefAfter") is not { } element)
        {
            return null;
        }

        var defaults = PauseRules.Default;
        var reasons = defaults.Reasons.ToList();
        if (element.TryGetProperty("reasons", out var named))
        {
            RequireKind(named, JsonValueKind.Object, "pauses.reasons");
            foreach (var property in named.EnumerateObject())
            {
                var path = $"pauses.reasons.{property.Name}";
                if (!IsKebabName(property.Name))
                {
                    throw new PolicyException(path, "a reason's name is lower-case words joined by '-', such as road-closed");
                }

                var max = property.Value.ValueKind == JsonValueKind.String ? ParseDuration(property.Value.GetString()!, path) : throw new PolicyException(path, "must be an ISO-8601 duration string");
                if (max <= Duration.Zero)
                {
                    throw new PolicyException(path, "a maximum pause must be longer than zero");
                }

                reasons.RemoveAll(r => r.Name == property.Name);
                reasons.Add(new PauseReason(property.Name, max));
            }
        }

        var tellChiefAfter = element.TryGetProperty("tellChiefAfter", out _) ? RequiredDuration(element, "tellChiefAfter", "pauses.tellChiefAfter") : defaults.TellChiefAfter;
        return new PauseRules(reasons, tellChiefAfter);
    }

    private static bool IsKebabName(string name) =>
        name.Length is > 0 and <= 64 && name.Split('-').All(word => word.Length > 0 && word.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9'));
}
