using System.Text.Json.Nodes;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>Every way a policy document can be wrong, with the exact message a person reads (README, "Response policy").</summary>
public sealed class PolicyErrorTests
{
    public static TheoryData<string, string, string> Broken => new()
    {
        { "version missing", "version", "is required" },
        { "version empty", "version", "must be a non-empty string" },
        { "version a number", "version", "must be a non-empty string" },
        { "timeZone missing", "timeZone", "is required" },
        { "timeZone unknown", "timeZone", "'Mars/Olympus' is not an IANA time zone (e.g. Asia/Shanghai)" },
        { "priorities missing", "priorities", "is required" },
        { "priorities an array", "priorities", "must be a JSON object" },
        { "priority P5", "priorities.P5", "unknown priority; expected P1, P2, P3 or P4" },
        { "priority a number", "priorities.P1", "must be a JSON object" },
        { "priority field unknown", "priorities.P1.speed", "unknown field; expected one of dispatch, arrival, resolution, zones, businessHours" },
        { "business hours on P1", "priorities.P1.businessHours", "only P4 (non-emergency work) may have business hours; the clocks of P1-P3 run round the clock" },
        { "business hours an array", "priorities.P4.businessHours", "must be a JSON object" },
        { "business hours field unknown", "priorities.P4.businessHours.lunch", "unknown field; expected one of days, opens, closes, holidays" },
        { "business day unknown", "priorities.P4.businessHours.days[1]", "must be a day of the week: mon, tue, wed, thu, fri, sat, sun" },
        { "business day twice", "priorities.P4.businessHours.days[1]", "'mon' is listed twice" },
        { "business days empty", "priorities.P4.businessHours.days", "needs at least one working day" },
        { "business opens not a time", "priorities.P4.businessHours.opens", "'8:30am' is not a time of day such as 08:30" },
        { "business closes before opens", "priorities.P4.businessHours.closes", "must be later than opens (08:30): business hours are one span within a day" },
        { "business holiday not a date", "priorities.P4.businessHours.holidays[0]", "must be a date such as 2026-10-01" },
        { "dispatch missing", "priorities.P1.dispatch", "is required" },
        { "arrival missing", "priorities.P1.arrival", "is required" },
        { "resolution missing", "priorities.P1.resolution", "is required" },
        { "P3 missing", "priorities.P3", "missing; every priority P1-P4 needs targets" },
        { "priority zones bad", "priorities.P4.zones.urban", "must be a number greater than 0 and at most 100" },
        { "priority zones incomplete", "priorities.P4.zones.rural", "missing; every zone needs a factor" },
        { "zones missing", "zones", "is required" },
        { "zones a number", "zones", "must be a JSON object" },
        { "zone unknown", "zones.city", "unknown zone; expected urban, suburban or rural" },
        { "zone factor zero", "zones.urban", "must be a number greater than 0 and at most 100" },
        { "zone factor over 100", "zones.urban", "must be a number greater than 0 and at most 100" },
        { "zone factor a string", "zones.urban", "must be a number greater than 0 and at most 100" },
        { "zone missing", "zones.rural", "missing; every zone needs a factor" },
        { "warnAt an object", "warnAt", "must be a JSON array" },
        { "warnAt zero", "warnAt[0]", "must be a fraction of the window between 0 and 1, exclusive" },
        { "warnAt one", "warnAt[0]", "must be a fraction of the window between 0 and 1, exclusive" },
        { "warnAt a string", "warnAt[0]", "must be a fraction of the window between 0 and 1, exclusive" },
        { "warnAt repeated", "warnAt[1]", "fractions must be in increasing order" },
        { "escalation missing", "escalation", "is required" },
        { "escalation an object", "escalation", "must be a JSON array" },
        { "escalation empty", "escalation", "needs at least one level" },
        { "level not an object", "escalation[0]", "must be a JSON object" },
        { "level field unknown", "escalation[0].when", "unknown field; expected one of level, after, to" },
        { "level missing", "escalation[0].level", "is required" },
        { "level gap", "escalation[1].level", "must be 2: levels count up from 1 without gaps" },
        { "level a string", "escalation[0].level", "must be 1: levels count up from 1 without gaps" },
        { "after missing", "escalation[0].after", "is required" },
        { "after earlier", "escalation[2].after", "must not be earlier than the level before it" },
        { "to missing", "escalation[1].to", "is required" },
        { "to unknown", "escalation[1].to", "'mayor' is not an audience; expected duty-officer, chief, command-center" },
        { "duration words", "priorities.P1.arrival", "'5 minutes' is not an ISO-8601 duration such as PT5M or P3D" },
        { "duration months", "priorities.P1.resolution", "'P1M' uses years or months, which have no fixed length; use days (P30D)" },
        { "duration negative", "priorities.P1.dispatch", "must not be negative" },
        { "immediate a string", "immediate", "must be a JSON object" },
        { "immediate field unknown", "immediate.when", "unknown field; expected one of categories, to" },
        { "immediate categories missing", "immediate.categories", "is required" },
        { "immediate categories an object", "immediate.categories", "must be a JSON array" },
        { "immediate category blank", "immediate.categories[1]", "must be a non-empty category name" },
        { "immediate category a number", "immediate.categories[0]", "must be a non-empty category name" },
        { "immediate to missing", "immediate.to", "is required" },
        { "reports an array", "reports", "must be a JSON object" },
        { "reports field unknown", "reports.weekStartsOn", "unknown field; expected one of dayStartsAt, buckets" },
        { "dayStartsAt not a time", "reports.dayStartsAt", "'8 o'clock' is not a time of day such as 08:00" },
        { "dayStartsAt a number", "reports.dayStartsAt", "must be a non-empty string" },
        { "buckets an array", "reports.buckets", "must be a JSON object" },
        { "buckets clock unknown", "reports.buckets.patrol", "unknown field; expected one of dispatch, arrival, resolution" },
        { "bucket edges an object", "reports.buckets.dispatch", "must be a JSON array" },
        { "bucket edges empty", "reports.buckets.dispatch", "needs at least one edge" },
        { "bucket edge a number", "reports.buckets.dispatch[0]", "must be an ISO-8601 duration string" },
        { "bucket edge zero", "reports.buckets.dispatch[0]", "edges must be positive and in increasing order" },
        { "bucket edges repeated", "reports.buckets.dispatch[1]", "edges must be positive and in increasing order" },
        { "bucket edge words", "reports.buckets.arrival[0]", "'soon' is not an ISO-8601 duration such as PT5M or P3D" },
        { "units an array", "units", "must be a JSON object" },
        { "units field unknown", "units.speed", "unknown field; expected one of positionStaleAfter, trailRetention, roadFactor, speedsKmh, arrivalRadiusMeters" },
        { "road factor below one", "units.roadFactor", "must be a number from 1 to 5 (road distance over straight-line distance)" },
        { "speed zone unknown", "units.speedsKmh.city", "unknown zone; expected urban, suburban or rural" },
        { "speed zero", "units.speedsKmh.rural", "must be a number of km/h greater than 0 and at most 200" },
        { "stale after zero", "units.positionStaleAfter", "must be positive" },
        { "retention shorter than stale", "units.trailRetention", "must be at least units.positionStaleAfter: a position is kept at least as long as it counts" },
        { "retention words", "units.trailRetention", "'a day' is not an ISO-8601 duration such as PT5M or P3D" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_policy_is_refused_naming_the_field_and_what_is_wrong(string breakage, string field, string problem)
    {
        var json = JsonNode.Parse(PolicyDocuments.Documented)!.AsObject();
        Break(json, breakage);

        var error = Assert.Throws<PolicyException>(() => PolicyParser.Parse(json.ToJsonString()));

        Assert.Equal(field, error.Field);
        Assert.Equal($"Response policy field '{field}': {problem}", error.Message);
    }

    [Theory]
    [InlineData("{ nope", "$")]
    [InlineData("[1, 2]", "$")]
    [InlineData("\"policy\"", "$")]
    public void Something_that_is_not_a_json_object_is_refused_at_the_root(string text, string field)
    {
        var error = Assert.Throws<PolicyException>(() => PolicyParser.Parse(text));

        Assert.Equal(field, error.Field);
        Assert.StartsWith("Response policy field '$': ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Contains("not valid JSON (", StringComparison.Ordinal) || error.Message.EndsWith("must be a JSON object", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void Comments_trailing_commas_and_the_edges_of_each_range_are_accepted()
    {
        var text = PolicyDocuments.Documented
            .Replace("\"version\": \"2026-11\",", "// the station's policy\n  \"version\": \"2026-11\",", StringComparison.Ordinal)
            .Replace("\"rural\": 3 },", "\"rural\": 100, },", StringComparison.Ordinal)
            .Replace("[0.5, 0.75]", "[0.001, 0.999]", StringComparison.Ordinal)
            .Replace("\"PT10M\", \"to\"", "\"PT2M\", \"to\"", StringComparison.Ordinal)
            .Replace("\"categories\": [\"homicide\", \"mass-incident\", \"fire-casualty\"]", "\"categories\": [\"  Homicide \"]", StringComparison.Ordinal)
            .Replace("\"to\": \"chief\" } }", "\"to\": \"command-center\" }, \"reports\": { \"dayStartsAt\": \"00:00\", \"buckets\": { \"resolution\": [\"PT1S\"] } } }", StringComparison.Ordinal);

        var policy = PolicyParser.Parse(text);

        Assert.Equal(100, policy.ZoneFactors[Zone.Rural]);
        Assert.Equal([0.001, 0.999], policy.WarnAt);
        Assert.Equal(policy.Escalation[1].After, policy.Escalation[2].After);
        Assert.True(policy.IsImmediate("homicide"));
        Assert.False(policy.IsImmediate("mass-incident"));
        Assert.Equal(Audience.CommandCenter, policy.Immediate.To);
        Assert.Equal(LocalTime.Midnight, policy.ReportRules.DayStartsAt);
        Assert.Equal([Duration.FromSeconds(1)], policy.ReportRules.BucketEdges[ClockKind.Resolution]);
        Assert.Equal(Duration.FromMinutes(15), policy.TargetsFor(Priority.P3, Zone.Urban).Dispatch);
        Assert.Equal(Duration.FromDays(3), policy.TargetsFor(Priority.P3, Zone.Urban).Resolution);
        Assert.Equal(Duration.FromMinutes(30 * 100), policy.TargetsFor(Priority.P3, Zone.Rural).Arrival);
    }

    [Fact]
    public void Without_immediate_no_category_goes_straight_to_the_chief()
    {
        var json = JsonNode.Parse(PolicyDocuments.Documented)!.AsObject();
        json.Remove("immediate");
        json.Remove("warnAt");

        var policy = PolicyParser.Parse(json.ToJsonString());

        Assert.False(policy.IsImmediate("homicide"));
        Assert.Equal(Audience.Chief, policy.Immediate.To);
        Assert.Empty(policy.WarnAt);
        Assert.Equal(ReportRules.Default, policy.ReportRules);
        Assert.Equal((Duration.FromMinutes(2), Duration.FromHours(24), 1.3), (policy.UnitRules.StaleAfter, policy.UnitRules.TrailRetention, policy.UnitRules.RoadFactor));
    }

    [Fact]
    public void The_units_section_sets_when_a_position_is_stale_and_how_long_the_trail_is_kept()
    {
        var json = JsonNode.Parse(PolicyDocuments.Documented)!.AsObject();
        json["units"] = new JsonObject
        {
            ["positionStaleAfter"] = "PT90S", ["trailRetention"] = "PT8H", ["roadFactor"] = 1.4, ["speedsKmh"] = new JsonObject { ["rural"] = 70 },
        };

        var rules = PolicyParser.Parse(json.ToJsonString()).UnitRules;

        Assert.Equal((Duration.FromSeconds(90), Duration.FromHours(8), 1.4), (rules.StaleAfter, rules.TrailRetention, rules.RoadFactor));
        Assert.Equal((30.0, 45.0, 70.0), (rules.SpeedsKmh[Zone.Urban], rules.SpeedsKmh[Zone.Suburban], rules.SpeedsKmh[Zone.Rural]));
    }

    private static void Break(JsonObject p, string breakage)
    {
        JsonObject Priority(string name) => p["priorities"]![name]!.AsObject();
        JsonArray Levels() => p["escalation"]!.AsArray();
        JsonObject Immediate() => p["immediate"]!.AsObject();
        switch (breakage)
        {
            case "version missing": p.Remove("version"); break;
            case "version empty": p["version"] = " "; break;
            case "version a number": p["version"] = 5; break;
            case "timeZone missing": p.Remove("timeZone"); break;
            case "timeZone unknown": p["timeZone"] = "Mars/Olympus"; break;
            case "priorities missing": p.Remove("priorities"); break;
            case "priorities an array": p["priorities"] = new JsonArray(); break;
            case "priority P5": p["priorities"]!["P5"] = Priority("P4").DeepClone(); break;
            case "priority a number": p["priorities"]!["P1"] = 3; break;
            case "priority field unknown": Priority("P1")["speed"] = "fast"; break;
            case "business hours on P1": Priority("P1")["businessHours"] = new JsonObject(); break;
            case "business hours an array": Priority("P4")["businessHours"] = new JsonArray(); break;
            case "business hours field unknown": Priority("P4")["businessHours"] = new JsonObject { ["lunch"] = "12:00" }; break;
            case "business day unknown": Priority("P4")["businessHours"] = new JsonObject { ["days"] = new JsonArray("mon", "funday") }; break;
            case "business day twice": Priority("P4")["businessHours"] = new JsonObject { ["days"] = new JsonArray("mon", "mon") }; break;
            case "business days empty": Priority("P4")["businessHours"] = new JsonObject { ["days"] = new JsonArray() }; break;
            case "business opens not a time": Priority("P4")["businessHours"] = new JsonObject { ["opens"] = "8:30am" }; break;
            case "business closes before opens": Priority("P4")["businessHours"] = new JsonObject { ["closes"] = "08:30" }; break;
            case "business holiday not a date": Priority("P4")["businessHours"] = new JsonObject { ["holidays"] = new JsonArray("2026-13-01") }; break;
            case "dispatch missing": Priority("P1").Remove("dispatch"); break;
            case "arrival missing": Priority("P1").Remove("arrival"); break;
            case "resolution missing": Priority("P1").Remove("resolution"); break;
            case "P3 missing": p["priorities"]!.AsObject().Remove("P3"); break;
            case "priority zones bad": Priority("P4")["zones"]!["urban"] = -1; break;
            case "priority zones incomplete": Priority("P4")["zones"]!.AsObject().Remove("rural"); break;
            case "zones missing": p.Remove("zones"); break;
            case "zones a number": p["zones"] = 1; break;
            case "zone unknown": p["zones"]!["city"] = 1; break;
            case "zone factor zero": p["zones"]!["urban"] = 0; break;
            case "zone factor over 100": p["zones"]!["urban"] = 100.5; break;
            case "zone factor a string": p["zones"]!["urban"] = "1"; break;
            case "zone missing": p["zones"]!.AsObject().Remove("rural"); break;
            case "warnAt an object": p["warnAt"] = new JsonObject(); break;
            case "warnAt zero": p["warnAt"] = new JsonArray(0); break;
            case "warnAt one": p["warnAt"] = new JsonArray(1); break;
            case "warnAt a string": p["warnAt"] = new JsonArray("half"); break;
            case "warnAt repeated": p["warnAt"] = new JsonArray(0.5, 0.5); break;
            case "escalation missing": p.Remove("escalation"); break;
            case "escalation an object": p["escalation"] = new JsonObject(); break;
            case "escalation empty": p["escalation"] = new JsonArray(); break;
            case "level not an object": Levels()[0] = 1; break;
            case "level field unknown": Levels()[0]!["when"] = "now"; break;
            case "level missing": Levels()[0]!.AsObject().Remove("level"); break;
            case "level gap": Levels()[1]!["level"] = 3; break;
            case "level a string": Levels()[0]!["level"] = "1"; break;
            case "after missing": Levels()[0]!.AsObject().Remove("after"); break;
            case "after earlier": Levels()[2]!["after"] = "PT1M"; break;
            case "to missing": Levels()[1]!.AsObject().Remove("to"); break;
            case "to unknown": Levels()[1]!["to"] = "mayor"; break;
            case "duration words": Priority("P1")["arrival"] = "5 minutes"; break;
            case "duration months": Priority("P1")["resolution"] = "P1M"; break;
            case "duration negative": Priority("P1")["dispatch"] = "PT-1M"; break;
            case "immediate a string": p["immediate"] = "homicide"; break;
            case "immediate field unknown": Immediate()["when"] = "always"; break;
            case "immediate categories missing": Immediate().Remove("categories"); break;
            case "immediate categories an object": Immediate()["categories"] = new JsonObject(); break;
            case "immediate category blank": Immediate()["categories"] = new JsonArray("homicide", " "); break;
            case "immediate category a number": Immediate()["categories"] = new JsonArray(7); break;
            case "immediate to missing": Immediate().Remove("to"); break;
            case "reports an array": p["reports"] = new JsonArray(); break;
            case "reports field unknown": p["reports"] = new JsonObject { ["weekStartsOn"] = "Monday" }; break;
            case "dayStartsAt not a time": p["reports"] = new JsonObject { ["dayStartsAt"] = "8 o'clock" }; break;
            case "dayStartsAt a number": p["reports"] = new JsonObject { ["dayStartsAt"] = 8 }; break;
            case "buckets an array": p["reports"] = new JsonObject { ["buckets"] = new JsonArray() }; break;
            case "buckets clock unknown": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["patrol"] = new JsonArray("PT1M") } }; break;
            case "bucket edges an object": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["dispatch"] = new JsonObject() } }; break;
            case "bucket edges empty": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["dispatch"] = new JsonArray() } }; break;
            case "bucket edge a number": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["dispatch"] = new JsonArray(30) } }; break;
            case "bucket edge zero": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["dispatch"] = new JsonArray("PT0S") } }; break;
            case "bucket edges repeated": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["dispatch"] = new JsonArray("PT1M", "PT1M") } }; break;
            case "bucket edge words": p["reports"] = new JsonObject { ["buckets"] = new JsonObject { ["arrival"] = new JsonArray("soon") } }; break;
            case "units an array": p["units"] = new JsonArray(); break;
            case "units field unknown": p["units"] = new JsonObject { ["speed"] = 30 }; break;
            case "road factor below one": p["units"] = new JsonObject { ["roadFactor"] = 0.9 }; break;
            case "speed zone unknown": p["units"] = new JsonObject { ["speedsKmh"] = new JsonObject { ["city"] = 30 } }; break;
            case "speed zero": p["units"] = new JsonObject { ["speedsKmh"] = new JsonObject { ["rural"] = 0 } }; break;
            case "stale after zero": p["units"] = new JsonObject { ["positionStaleAfter"] = "PT0S" }; break;
            case "retention shorter than stale": p["units"] = new JsonObject { ["positionStaleAfter"] = "PT5M", ["trailRetention"] = "PT4M" }; break;
            case "retention words": p["units"] = new JsonObject { ["trailRetention"] = "a day" }; break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage), breakage, "no such breakage");
        }
    }
}
