using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Tests.Doubles;

namespace Dispatch.Core.Tests;

/// <summary>
/// The roster rules README "Who may do what" states — reserved subjects, a station's last chief, the officer's own
/// unit on a dispatch — held in the domain, in the words a refused caller reads.
/// </summary>
public sealed class RosterAndAssigneeRuleTests
{
    private readonly World world = new();

    [Theory]
    [InlineData("anonymous", true)]
    [InlineData("ANONYMOUS", true)]
    [InlineData("system:sweep", true)]
    [InlineData("System:seed", true)]
    [InlineData("anonymous.li", false)]
    [InlineData("li.ming", false)]
    [InlineData("not-system:x", false)]
    public void Anonymous_and_system_names_are_kept_for_the_app_in_any_case(string subject, bool reserved)
    {
        Assert.Equal(reserved, Person.IsReserved(subject));
        Assert.Equal(!reserved, Person.IsPersonSubject(subject));
    }

    [Fact]
    public void A_person_subject_is_well_formed_as_well_as_not_reserved_and_refused_requests_are_filed_under_anonymous()
    {
        Assert.False(Person.IsPersonSubject(null));
        Assert.False(Person.IsPersonSubject("wang lei"));
        Assert.Equal(new Person("anonymous", "anonymous"), Person.Anonymous);
    }

    [Fact]
    public async Task A_stations_last_chief_can_be_neither_removed_nor_given_another_role_until_another_chief_is_named()
    {
        var remove = world.Call(World.Admin, GlobalRole.Admin);
        var demote = world.Call(World.Admin, GlobalRole.Admin);

        var removed = await Assert.ThrowsAsync<RosterConflictException>(() => world.Rosters.RemoveAsync(remove, World.Beilin, World.Chief.Subject, default));
        var demoted = await Assert.ThrowsAsync<RosterConflictException>(() =>
            world.Rosters.PutAsync(demote, new Membership(World.Beilin, World.Chief, StationRole.DutyOfficer, null), default));

        Assert.Equal("'zhang.wei' is the only chief of beilin-01: name another chief first, or the chief's rung of its escalations reaches nobody.", removed.Message);
        Assert.Equal("'zhang.wei' is the only chief of beilin-01: name another chief before giving this one another role, or the chief's rung of its escalations reaches nobody.", demoted.Message);
        Assert.Equal((World.Beilin, "roster remove zhang.wei", false), (remove.Station, remove.Change, remove.AuditCommitted));
        Assert.Equal((World.Beilin, "roster put zhang.wei as duty-officer", false), (demote.Station, demote.Change, demote.AuditCommitted));
        Assert.Empty(world.Roster.CommittedAudit);
        Assert.Equal(StationRole.Chief, (await world.Roster.FindAsync(World.Beilin, World.Chief.Subject, default))!.Role);

        await world.Rosters.PutAsync(world.Call(World.Admin, GlobalRole.Admin), new Membership(World.Beilin, World.Nobody, StationRole.Chief, null), default);
        var later = world.Call(World.Admin, GlobalRole.Admin);
        Assert.False(await world.Rosters.PutAsync(later, new Membership(World.Beilin, World.Chief, StationRole.DutyOfficer, null), default));
        Assert.True(later.AuditCommitted);
        Assert.Equal(StationRole.DutyOfficer, (await world.Roster.FindAsync(World.Beilin, World.Chief.Subject, default))!.Role);
    }

    [Fact]
    public async Task A_removal_names_its_station_and_is_committed_with_its_record()
    {
        var remove = world.Call(World.Chief);

        await world.Rosters.RemoveAsync(remove, World.Beilin, World.OtherOfficer.Subject, default);

        Assert.Equal((World.Beilin, true), (remove.Station, remove.AuditCommitted));
        Assert.Null(await world.Roster.FindAsync(World.Beilin, World.OtherOfficer.Subject, default));
    }

    [Fact]
    public async Task A_dispatch_sends_an_officer_of_the_roster_in_their_own_unit_and_says_which_field_is_wrong_otherwise()
    {
        var id = await world.ReportAsync();
        Task<StoredIncident> Dispatch(string unit, string officer) => world.Incidents.DispatchAsync(world.Call(World.Dispatcher), id, unit, officer, null, default);

        var stranger = await Assert.ThrowsAsync<FieldRefusedException>(() => Dispatch("patrol-7", "ghost.officer"));
        var noUnit = await Assert.ThrowsAsync<FieldRefusedException>(() => Dispatch("patrol-7", World.DutyOfficer.Subject));
        var otherUnit = await Assert.ThrowsAsync<FieldRefusedException>(() => Dispatch("patrol-5", World.Officer.Subject));
        var dispatched = await Dispatch("PATROL-7", World.Officer.Subject);

        Assert.Equal(("officer", "'ghost.officer' is not on the roster of beilin-01: dispatch to someone the station's roster lists."), (stranger.Field, stranger.Message));
        Assert.Equal(("officer", "'sun.hao' has no unit on the roster of beilin-01: give them one there before dispatching them."), (noUnit.Field, noUnit.Message));
        Assert.Equal(("unit", "'patrol-5' is not Wang Lei's unit: the roster of beilin-01 has them in patrol-7."), (otherUnit.Field, otherUnit.Message));
        Assert.Equal(World.Officer, dispatched.Incident.Officer);
    }
}
