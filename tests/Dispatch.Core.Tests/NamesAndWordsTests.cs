using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>Wire names, small value rules, and the words of the roster and audit use cases.</summary>
public sealed class NamesAndWordsTests
{
    private readonly World world = new();

    private static void AssertNames<T>(Func<T, string> name, params string[] expected)
        where T : struct, Enum => Assert.Equal(expected, Enum.GetValues<T>().Select(name));

    [Fact]
    public void Every_value_has_its_documented_wire_name_and_parses_back_from_it_in_any_case()
    {
        AssertNames<Priority>(WireNames.Name, "P1", "P2", "P3", "P4");
        AssertNames<Zone>(WireNames.Name, "urban", "suburban", "rural");
        AssertNames<Channel>(WireNames.Name, "phone", "walk-in", "patrol", "online", "referral");
        AssertNames<IncidentStatus>(WireNames.Name, "reported", "dispatched", "on-scene", "resolved", "closed", "cancelled");
        AssertNames<ClockKind>(WireNames.Name, "dispatch", "arrival", "resolution");
        AssertNames<ClockState>(WireNames.Name, "running", "met", "breached", "stopped");
        AssertNames<EventKind>(WireNames.Name,
            "reported", "dispatched", "reassigned", "on-scene", "resolved", "closed", "cancelled", "warned", "escalated", "acknowledged", "notified", "paused", "resumed");
        AssertNames<NoticeKind>(WireNames.Name, "warning", "escalation", "immediate", "long-pause");
        AssertNames<StationRole>(RoleNames.Name, "dispatcher", "officer", "duty-officer", "chief");
        AssertNames<GlobalRole>(RoleNames.Name, "admin", "auditor", "command-center");
        AssertNames<Audience>(AudienceNames.Name, "duty-officer", "chief", "command-center");

        Assert.All(Enum.GetValues<Priority>(), v => Assert.True(WireNames.TryParse(v.Name().ToLowerInvariant(), out Priority p) && p == v));
        Assert.All(Enum.GetValues<Zone>(), v => Assert.True(WireNames.TryParse(v.Name().ToUpperInvariant(), out Zone p) && p == v));
        Assert.All(Enum.GetValues<Channel>(), v => Assert.True(WireNames.TryParse(v.Name(), out Channel p) && p == v));
        Assert.All(Enum.GetValues<IncidentStatus>(), v => Assert.True(WireNames.TryParse(v.Name(), out IncidentStatus p) && p == v));
        Assert.All(Enum.GetValues<EventKind>(), v => Assert.True(WireNames.TryParse(v.Name(), out EventKind p) && p == v));
        Assert.All(Enum.GetValues<NoticeKind>(), v => Assert.True(WireNames.TryParse(v.Name(), out NoticeKind p) && p == v));
        Assert.All(Enum.GetValues<ClockKind>(), v => Assert.True(WireNames.TryParse(v.Name(), out ClockKind p) && p == v));
        Assert.All(Enum.GetValues<StationRole>(), v => Assert.True(RoleNames.TryParse(v.Name(), out StationRole p) && p == v));
        Assert.All(Enum.GetValues<GlobalRole>(), v => Assert.True(RoleNames.TryParse(v.Name(), out GlobalRole p) && p == v));
        Assert.All(Enum.GetValues<Audience>(), v => Assert.Equal(v, AudienceNames.Parse(v.Name())));
    }

    [Fact]
    public void An_unknown_name_parses_to_nothing()
    {
        Assert.False(WireNames.TryParse("P5", out Priority _));
        Assert.False(WireNames.TryParse(null, out Zone _));
        Assert.False(WireNames.TryParse("walkin", out Channel _));
        Assert.False(WireNames.TryParse("OnScene", out IncidentStatus _));
        Assert.False(WireNames.TryParse("", out ClockKind _));
        Assert.False(RoleNames.TryParse("Chief", out StationRole _));
        Assert.False(AudienceNames.TryParse("Chief", out _));
        Assert.Equal("'boss' is not an audience.", Assert.Throws<FormatException>(() => AudienceNames.Parse("boss")).Message);
        Assert.Equal("'Bad Station' is not a station code.", Assert.Throws<FormatException>(() => StationId.Parse("Bad Station")).Message);
        Assert.Equal("'x.y' is not an incident id.", Assert.Throws<FormatException>(() => IncidentId.Parse("x.y")).Message);
    }

    [Fact]
    public void The_names_a_field_may_take_are_listed_per_type()
    {
        Assert.Equal(["P1", "P2", "P3", "P4"], WireNames.Names<Priority>());
        Assert.Equal(["urban", "suburban", "rural"], WireNames.Names<Zone>());
        Assert.Equal(["phone", "walk-in", "patrol", "online", "referral"], WireNames.Names<Channel>());
        Assert.Equal(["reported", "dispatched", "on-scene", "resolved", "closed", "cancelled"], WireNames.Names<IncidentStatus>());
        Assert.Equal(["dispatch", "arrival", "resolution"], WireNames.Names<ClockKind>());
        Assert.Throws<ArgumentOutOfRangeException>(() => WireNames.Names<EventKind>().ToList());
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("a", true)]
    [InlineData("0b5c2f1e-8a43-4c1d-9e2f-3a4b5c6d7e8f", true)]
    [InlineData("wang.lei@beilin", true)]
    [InlineData("wang lei", false)]
    [InlineData(null, false)]
    public void A_subject_is_a_narrow_key(string? subject, bool valid) => Assert.Equal(valid, Person.IsValidSubject(subject));

    [Fact]
    public void A_subject_may_be_128_characters_and_not_129()
    {
        Assert.True(Person.IsValidSubject(new string('a', 128)));
        Assert.False(Person.IsValidSubject(new string('a', 129)));
        Assert.Equal("Wang Lei (wang.lei)", World.Officer.ToString());
        Assert.Equal(("system:sweep", "sweep", true), (Person.Sweep.Subject, Person.Sweep.Name, Person.Sweep.IsSystem));
        Assert.False(World.Officer.IsSystem);
    }

    [Theory]
    [InlineData("beilin-01.")]
    [InlineData(".01M8BDWP00A8F200D0B0BPCAKH")]
    [InlineData("beilin-01.01M8BDWP00A8F200D0B0BPCAK")]
    [InlineData("beilin-01.01M8BDWP00A8F200D0B0BPCAKHX")]
    [InlineData("beilin-01.01M8BDWP00A8F200D0B0BPCAKU")]
    [InlineData("beilin-01")]
    public void A_malformed_incident_id_does_not_parse(string text) => Assert.False(IncidentId.TryParse(text, out _));

    [Fact]
    public void An_incident_id_carries_its_station_and_the_millisecond_it_was_reported()
    {
        var at = World.T0 + Duration.FromMilliseconds(123);
        var id = IncidentId.New(World.Beilin, at);

        Assert.True(IncidentId.TryParse(id.Value, out var parsed));
        Assert.Equal((World.Beilin, at, id), (parsed.Station, parsed.Timestamp, parsed));
        Assert.NotEqual(id, IncidentId.New(World.Beilin, at));
    }

    [Fact]
    public void Durations_are_written_in_whole_seconds()
    {
        Assert.Equal("PT0S", IsoDuration.Format(Duration.FromMilliseconds(999)));
        Assert.Equal("PT0S", IsoDuration.Format(Duration.FromSeconds(-5)));
        Assert.Equal("PT1S", IsoDuration.Format(Duration.FromSeconds(1)));
        Assert.Equal("PT1M30S", IsoDuration.Format(Duration.FromMilliseconds(90_900)));
        Assert.Equal("P3DT2H", IsoDuration.Format(Duration.FromHours(74)));
    }

    [Fact]
    public void A_notices_entry_gets_a_fresh_key_each_time_it_moves()
    {
        var id = IncidentId.New(World.Beilin, World.T0);
        var entry = DueEntry.ForNotices(id, World.T0, World.T0);
        var later = entry.Later(World.T0 + Duration.FromSeconds(1));

        Assert.Matches("^[0-9a-f]{12}$", entry.Key);
        Assert.Matches("^[0-9a-f]{12}$", later.Key);
        Assert.NotEqual(entry.Key, later.Key);
        Assert.Equal((World.T0 + Duration.FromSeconds(1), DueReason.Notices, (Instant?)World.T0), (later.At, later.Reason, later.Since));
        Assert.Equal("", DueEntry.ForClock(id, World.T0).Key);
    }

    [Fact]
    public void An_audit_record_lists_global_roles_then_the_roles_held_at_the_station_each_in_order()
    {
        world.Roster.Add(new Membership(World.Beilin, World.Admin, StationRole.Officer, "patrol-9"));
        world.Roster.Add(new Membership(World.Beilin, World.Admin, StationRole.DutyOfficer, null));
        world.Roster.Add(new Membership(World.Yanta, World.Admin, StationRole.Chief, null));
        var call = world.Call(World.Admin, GlobalRole.CommandCenter, GlobalRole.Admin, GlobalRole.Auditor);
        call.Station = World.Beilin;

        var record = call.Record(AuditOutcome.Changed);

        Assert.Equal(["admin", "auditor", "command-center", "duty-officer@beilin-01", "officer@beilin-01"], record.Roles);
        call.Station = null;
        Assert.Equal(["admin", "auditor", "command-center"], call.Record(AuditOutcome.Changed).Roles);
    }

    [Fact]
    public void The_built_in_policy_names_its_version_and_its_major_matters()
    {
        var policy = ResponsePolicy.Default;

        Assert.Equal("builtin-2026-11", policy.Version);
        Assert.All(["homicide", "mass-incident", "fire-casualty", "HOMICIDE"], c => Assert.True(policy.IsImmediate(c)));
        Assert.False(policy.IsImmediate("theft"));
        Assert.Equal(Audience.Chief, policy.Immediate.To);
    }

    [Fact]
    public void Relay_reports_add_up() =>
        Assert.Equal(new RelayReport(5, 3), new RelayReport(2, 1) + new RelayReport(3, 2));

    [Fact]
    public async Task The_roster_use_cases_say_what_they_changed_and_who_may()
    {
        var read = world.Call(World.Officer);
        await world.Rosters.ListAsync(read, World.Beilin, default);
        var put = world.Call(World.Chief);
        var added = await world.Rosters.PutAsync(put, new Membership(World.Beilin, World.Nobody, StationRole.Officer, "patrol-9"), default);
        var replace = world.Call(World.Chief);
        var replaced = await world.Rosters.PutAsync(replace, new Membership(World.Beilin, World.Nobody, StationRole.Dispatcher, null), default);
        var remove = world.Call(World.Chief);
        await world.Rosters.RemoveAsync(remove, World.Beilin, "nobody", default);

        Assert.Equal(("read roster", World.Beilin), (read.Change, read.Station));
        Assert.Equal(("roster put nobody as officer in patrol-9", true, true), (put.Change, added, put.AuditCommitted));
        Assert.Equal(("roster put nobody as dispatcher", false, true), (replace.Change, replaced, replace.AuditCommitted));
        Assert.Equal(("roster remove nobody", true), (remove.Change, remove.AuditCommitted));
        Assert.Equal([AuditOutcome.Created, AuditOutcome.Changed, AuditOutcome.Removed], world.Roster.CommittedAudit.Select(a => a.Outcome));
        Assert.Equal(["roster put nobody as officer in patrol-9", "roster put nobody as dispatcher", "roster remove nobody"],
            world.Roster.CommittedAudit.Select(a => a.Change));
    }

    [Fact]
    public async Task The_roster_use_cases_refuse_in_words()
    {
        var read = await Assert.ThrowsAsync<ForbiddenException>(() => world.Rosters.ListAsync(world.Call(World.Officer), World.Yanta, default));
        var chiefMakingChief = await Assert.ThrowsAsync<ForbiddenException>(() =>
            world.Rosters.PutAsync(world.Call(World.Chief), new Membership(World.Beilin, World.Nobody, StationRole.Chief, null), default));
        var chiefDemotingChief = await Assert.ThrowsAsync<ForbiddenException>(() =>
            world.Rosters.PutAsync(world.Call(World.Chief), new Membership(World.Beilin, World.Chief, StationRole.Officer, null), default));
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => world.Rosters.RemoveAsync(world.Call(World.Chief), World.Beilin, "ghost", default));
        var removeChief = await Assert.ThrowsAsync<ForbiddenException>(() => world.Rosters.RemoveAsync(world.Call(World.YantaChief), World.Beilin, "li.ming", default));

        Assert.Equal("Only people on the roster of yanta-02, and admins, may read it.", read.Message);
        Assert.Equal("Only admins, and the chief of beilin-01 for its dispatchers, officers and duty officers, may change its roster.", chiefMakingChief.Message);
        Assert.Equal(chiefMakingChief.Message, chiefDemotingChief.Message);
        Assert.Equal("'ghost' is not on the roster of beilin-01.", missing.Message);
        Assert.Equal("Only admins, and the chief of beilin-01 for its dispatchers, officers and duty officers, may change its roster.", removeChief.Message);
        Assert.Empty(world.Roster.CommittedAudit);
        Assert.Equal(StationRole.Chief, (await world.Roster.FindAsync(World.Beilin, "zhang.wei", default))!.Role);
    }

    [Fact]
    public async Task Reading_the_audit_trail_says_whose_and_when_and_is_for_auditors_only()
    {
        var from = World.T0;
        var to = World.T0 + Duration.FromDays(1);
        var auditor = world.Call(World.Auditor, GlobalRole.Auditor);
        var everyone = world.Call(World.Auditor, GlobalRole.Auditor);

        await world.AuditService.QueryAsync(auditor, World.Beilin, "li.ming", from, to, 50, "next", default);
        await world.AuditService.QueryAsync(everyone, null, null, from, to, 50, null, default);
        var chief = await Assert.ThrowsAsync<ForbiddenException>(() => world.AuditService.QueryAsync(world.Call(World.Chief), World.Beilin, null, from, to, 50, null, default));

        Assert.Equal(("read audit trail of li.ming 2026-11-26T08:00:00Z..2026-11-27T08:00:00Z", World.Beilin), (auditor.Change, auditor.Station));
        Assert.Equal("read audit trail 2026-11-26T08:00:00Z..2026-11-27T08:00:00Z", everyone.Change);
        Assert.Equal("Only auditors may read the audit trail.", chief.Message);
        Assert.Equal(new AuditQuery(null, null, from, to, 50, null), world.Audit.LastQuery);
    }
}
