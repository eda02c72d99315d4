using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;

namespace Dispatch.Core.Tests;

/// <summary>The one helper every enum's wire names go through, the names it holds, and the small values with a default to think about.</summary>
public sealed class NameTableAndValueTests
{
    private enum Light { Red, Amber, Green }

    [Fact]
    public void A_name_table_must_name_every_value_and_no_two_values_alike()
    {
        var missing = Assert.Throws<ArgumentException>(() => new NameTable<Light>(StringComparison.Ordinal, new Dictionary<Light, string> { [Light.Red] = "red" }));
        var twice = Assert.Throws<ArgumentException>(() => new NameTable<Light>(StringComparison.Ordinal, Names("stop", "stop", "go")));
        var twiceInAnyCase = Assert.Throws<ArgumentException>(() => new NameTable<Light>(StringComparison.OrdinalIgnoreCase, Names("stop", "STOP", "go")));

        Assert.StartsWith("Light has no wire name for Amber, Green.", missing.Message, StringComparison.Ordinal);
        Assert.StartsWith("Light has two values with the same wire name.", twice.Message, StringComparison.Ordinal);
        Assert.StartsWith("Light has two values with the same wire name.", twiceInAnyCase.Message, StringComparison.Ordinal);
        Assert.Equal(["stop", "STOP", "go"], new NameTable<Light>(StringComparison.Ordinal, Names("stop", "STOP", "go")).Names);
    }

    [Fact]
    public void A_name_table_reads_names_back_in_the_letter_case_it_was_told()
    {
        var exact = new NameTable<Light>(StringComparison.Ordinal, Names("red", "amber", "green"));
        var forgiving = new NameTable<Light>(StringComparison.OrdinalIgnoreCase, Names("red", "amber", "green"));

        Assert.True(exact.TryParse("amber", out var amber));
        Assert.Equal(Light.Amber, amber);
        Assert.False(exact.TryParse("Amber", out var none));
        Assert.Equal(default, none);
        Assert.True(forgiving.TryParse("GREEN", out var green));
        Assert.Equal(Light.Green, green);
        Assert.False(forgiving.TryParse(null, out _));
        Assert.Equal(["red", "amber", "green"], forgiving.Names);
        Assert.Equal("amber", forgiving.Name(Light.Amber));
    }

    [Fact]
    public void Results_holders_list_filters_groupings_and_actions_have_their_documented_wire_names_and_read_back_in_any_case()
    {
        // README: clock outcomes (met | breached | stopped), holders (dispatcher | unit), ?status= and ?by= of the list and reports.
        Assert.Equal(["met", "breached", "stopped"], Enum.GetValues<ClockResult>().Select(WireNames.Name));
        Assert.Equal(["dispatcher", "unit"], Enum.GetValues<HolderKind>().Select(WireNames.Name));
        Assert.Equal(["any", "open", "overdue", "closed"], Enum.GetValues<StatusFilter>().Select(WireNames.Name));
        Assert.Equal(
            ["priority", "zone", "category", "unit", "officer", "dispatcher", "hour", "day", "weekday", "station"],
            Enum.GetValues<GroupBy>().Select(WireNames.Name));
        // README, "The API": POST /api/incidents/{id}/{action}; the same names in an incident's actions.
        Assert.Equal(["dispatch", "reassign", "arrive", "resolve", "close", "cancel", "acknowledge", "pause", "resume"], WireNames.Names<IncidentAction>());

        Assert.All(Enum.GetValues<ClockResult>(), v => Assert.True(WireNames.TryParse(v.Name().ToUpperInvariant(), out ClockResult p) && p == v));
        Assert.All(Enum.GetValues<HolderKind>(), v => Assert.True(WireNames.TryParse(v.Name(), out HolderKind p) && p == v));
        Assert.All(Enum.GetValues<StatusFilter>(), v => Assert.True(WireNames.TryParse(v.Name().ToUpperInvariant(), out StatusFilter p) && p == v));
        Assert.All(Enum.GetValues<GroupBy>(), v => Assert.True(WireNames.TryParse(v.Name().ToUpperInvariant(), out GroupBy p) && p == v));
        Assert.False(WireNames.TryParse("3", out GroupBy _));
        Assert.False(WireNames.TryParse("unit,zone", out GroupBy _));
    }

    [Fact]
    public void A_default_station_or_incident_id_names_nothing_and_says_so_when_used()
    {
        var station = Assert.Throws<InvalidOperationException>(() => default(StationId).Value);
        var incident = Assert.Throws<InvalidOperationException>(() => default(IncidentId).Value);

        Assert.Equal("default(StationId) names no station: make one with StationId.Parse or TryParse.", station.Message);
        Assert.Equal("default(IncidentId) names no incident: make one with IncidentId.New, Parse or TryParse.", incident.Message);
        Assert.Throws<InvalidOperationException>(() => default(IncidentId).Station.Value);
        Assert.Equal(("default(StationId)", "default(IncidentId)"), (default(StationId).ToString(), default(IncidentId).ToString()));
        Assert.Equal(default, default(StationId));
        Assert.NotEqual(default, StationId.Parse("beilin-01"));
        Assert.False(StationId.TryParse("not a station", out var refused));
        Assert.Equal(default, refused);
        Assert.False(IncidentId.TryParse(null, out var none));
        Assert.Equal(default, none);
    }

    [Fact]
    public void An_audit_outcome_is_a_change_the_domain_made_or_an_answer_of_the_edge_never_both()
    {
        Assert.Equal(
            [(AuditChange.Created, 0), (AuditChange.Changed, 0), (AuditChange.Removed, 0)],
            new[] { AuditOutcome.Created, AuditOutcome.Changed, AuditOutcome.Removed }.Select(o => (o.Change!.Value, o.Answer)));
        Assert.Equal(((AuditChange?)null, 403), (AuditOutcome.AnsweredWith(403).Change, AuditOutcome.AnsweredWith(403).Answer));
        Assert.Equal(AuditOutcome.AnsweredWith(0), default);
        Assert.NotEqual(AuditOutcome.Created, AuditOutcome.Changed);
    }

    private static Dictionary<Light, string> Names(string red, string amber, string green) =>
        new() { [Light.Red] = red, [Light.Amber] = amber, [Light.Green] = green };
}
