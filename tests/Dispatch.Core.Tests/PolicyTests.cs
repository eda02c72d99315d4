using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Tests;

public sealed class PolicyTests
{
    [Fact]
    public void The_documented_example_parses_to_the_built_in_defaults()
    {
        var policy = PolicyParser.Parse(PolicyDocuments.Documented);

        foreach (var priority in Enum.GetValues<Priority>())
        {
            foreach (var zone in Enum.GetValues<Zone>())
            {
                Assert.Equal(ResponsePolicy.Default.TargetsFor(priority, zone), policy.TargetsFor(priority, zone));
            }
        }

        Assert.Equal(ResponsePolicy.Default.WarnAt, policy.WarnAt);
        Assert.Equal(ResponsePolicy.Default.Escalation, policy.Escalation);
        Assert.True(policy.IsImmediate("Homicide"));
        Assert.Equal("Asia/Shanghai", policy.TimeZone.Id);
    }

    [Theory]
    [InlineData(Priority.P1, Zone.Urban, 5)]
    [InlineData(Priority.P1, Zone.Suburban, 10)]
    [InlineData(Priority.P1, Zone.Rural, 15)]
    [InlineData(Priority.P2, Zone.Rural, 30)]
    [InlineData(Priority.P3, Zone.Suburban, 60)]
    [InlineData(Priority.P4, Zone.Rural, 24 * 60)]
    public void Default_arrival_targets_match_the_standards_table(Priority priority, Zone zone, int minutes) =>
        Assert.Equal(Duration.FromMinutes(minutes), ResponsePolicy.Default.TargetsFor(priority, zone).Arrival);

    [Theory]
    [InlineData("\"PT5M\"", "\"5 minutes\"", "priorities.P1.arrival")]
    [InlineData("\"PT1M\", \"arrival\"", "\"P1M\", \"arrival\"", "priorities.P1.dispatch")]
    [InlineData("\"Asia/Shanghai\"", "\"Mars/Olympus\"", "timeZone")]
    [InlineData("\"urban\": 1, \"suburban\": 2", "\"urban\": 0, \"suburban\": 2", "zones.urban")]
    [InlineData("[0.5, 0.75]", "[0.75, 0.5]", "warnAt[1]")]
    [InlineData("[0.5, 0.75]", "[1.5]", "warnAt[0]")]
    [InlineData("\"level\": 2", "\"level\": 5", "escalation[1].level")]
    [InlineData("\"to\": \"chief\" },", "\"to\": \"mayor\" },", "escalation[1].to")]
    [InlineData("\"PT10M\", \"to\"", "\"PT1M\", \"to\"", "escalation[2].after")]
    [InlineData("\"version\": \"2026-11\",", "\"version\": \"2026-11\", \"colour\": \"blue\",", "colour")]
    [InlineData("\"P4\":", "\"P5\":", "priorities.P5")]
    [InlineData("\"immediate\": {", "\"immediate\": { \"extra\": 1,", "immediate.extra")]
    [InlineData("\"warnAt\":", "\"reports\": { \"dayStartsAt\": \"8 o'clock\" }, \"warnAt\":", "reports.dayStartsAt")]
    [InlineData("\"warnAt\":", "\"reports\": { \"buckets\": { \"dispatch\": [\"PT1M\", \"PT30S\"] } }, \"warnAt\":", "reports.buckets.dispatch[1]")]
    [InlineData("\"warnAt\":", "\"reports\": { \"buckets\": { \"patrol\": [\"PT1M\"] } }, \"warnAt\":", "reports.buckets.patrol")]
    [InlineData("\"warnAt\":", "\"pauses\": { \"reasons\": { \"Road Closed\": \"PT10M\" } }, \"warnAt\":", "pauses.reasons.Road Closed")]
    [InlineData("\"warnAt\":", "\"pauses\": { \"reasons\": { \"flooded\": \"PT0S\" } }, \"warnAt\":", "pauses.reasons.flooded")]
    [InlineData("\"warnAt\":", "\"pauses\": { \"tellChiefAfter\": \"soon\" }, \"warnAt\":", "pauses.tellChiefAfter")]
    public void A_bad_field_is_named_in_the_error(string find, string replace, string field)
    {
        Assert.Contains(find, PolicyDocuments.Documented, StringComparison.Ordinal);
        var error = Assert.Throws<PolicyException>(() => PolicyParser.Parse(PolicyDocuments.Documented.Replace(find, replace, StringComparison.Ordinal)));
        Assert.Equal(field, error.Field);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_cut_days_at_eight_with_default_buckets_unless_the_policy_says_otherwise()
    {
        var defaults = PolicyParser.Parse(PolicyDocuments.Documented).ReportRules;
        var custom = PolicyParser.Parse(PolicyDocuments.Documented.Replace("\"warnAt\":", "\"reports\": { \"dayStartsAt\": \"06:30\", \"buckets\": { \"arrival\": [\"PT5M\", \"PT15M\"] } }, \"warnAt\":", StringComparison.Ordinal)).ReportRules;

        Assert.Equal(new LocalTime(8, 0), defaults.DayStartsAt);
        Assert.Equal([Duration.FromSeconds(30), Duration.FromMinutes(1), Duration.FromMinutes(2), Duration.FromMinutes(3)], defaults.BucketEdges[ClockKind.Dispatch]);
        Assert.Equal(new LocalTime(6, 30), custom.DayStartsAt);
        Assert.Equal([Duration.FromMinutes(5), Duration.FromMinutes(15)], custom.BucketEdges[ClockKind.Arrival]);
        Assert.Equal(defaults.BucketEdges[ClockKind.Dispatch], custom.BucketEdges[ClockKind.Dispatch]);
    }

    [Fact]
    public void A_station_adds_pause_reasons_and_changes_a_maximum_and_keeps_the_standard_four()
    {
        var custom = PolicyParser.Parse(PolicyDocuments.Documented.Replace(
            "\"warnAt\":", "\"pauses\": { \"reasons\": { \"flooded-road\": \"PT45M\", \"road-closed\": \"PT1H\" } }, \"warnAt\":", StringComparison.Ordinal)).PauseRules;

        Assert.Equal(PauseRules.Default, PolicyParser.Parse(PolicyDocuments.Documented).PauseRules);
        Assert.Equal(
            [("reporter-unreachable", 30), ("scene-unsafe", 30), ("awaiting-specialist", 30), ("flooded-road", 45), ("road-closed", 60)],
            custom.Reasons.Select(r => (r.Name, (int)r.MaxPause.TotalMinutes)));
        Assert.Equal(Duration.FromMinutes(20), custom.TellChiefAfter);
    }

    [Fact]
    public void A_missing_priority_is_refused()
    {
        var withoutP3 = PolicyDocuments.Documented.Replace("\"P3\": { \"dispatch\": \"PT15M\", \"arrival\": \"PT30M\", \"resolution\": \"P3D\" },", "", StringComparison.Ordinal);
        Assert.Equal("priorities.P3", Assert.Throws<PolicyException>(() => PolicyParser.Parse(withoutP3)).Field);
    }

    [Fact]
    public void Malformed_json_is_refused() =>
        Assert.Equal("$", Assert.Throws<PolicyException>(() => PolicyParser.Parse("{ nope")).Field);
}
