using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Tests.Doubles;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>Every row of the README's role table, allowed and refused.</summary>
public sealed class AccessPolicyTests
{
    private static readonly StationId Beilin = World.Beilin;
    private static readonly StationId Yanta = World.Yanta;

    private static Caller As(StationRole? role, string? unit = null, StationId? at = null, params GlobalRole[] roles)
    {
        var person = new Person("p", "P");
        return new Caller(person, roles.ToHashSet(), role is { } r ? [new Membership(at ?? Beilin, person, r, unit)] : []);
    }

    private static Caller Global(GlobalRole role) => As(null, null, null, role);

    private static Incident Dispatched(string unit = "patrol-7", string officer = "wang.lei")
    {
        var report = World.Report();
        var opened = Incident.Open(IncidentId.New(Beilin, World.T0), report, ResponsePolicy.Default, World.T0, World.Dispatcher).Incident;
        return opened.Dispatch(unit, new Person(officer, officer), World.T0, World.Dispatcher).Incident;
    }

    public static TheoryData<StationRole?, GlobalRole?, bool> Reporting => new()
    {
        { StationRole.Dispatcher, null, true }, { StationRole.DutyOfficer, null, true }, { StationRole.Chief, null, true },
        { StationRole.Officer, null, false }, { null, GlobalRole.CommandCenter, true }, { null, GlobalRole.Auditor, false }, { null, GlobalRole.Admin, false },
    };

    [Theory]
    [MemberData(nameof(Reporting))]
    public void Report_dispatch_and_cancel_belong_to_the_desk_of_that_station_and_the_command_center(StationRole? role, GlobalRole? global, bool allowed)
    {
        var caller = global is { } g ? Global(g) : As(role);

        Assert.Equal(allowed, AccessPolicy.CanReport(caller, Beilin));
        Assert.Equal(allowed, AccessPolicy.CanDispatch(caller, Beilin));
        Assert.Equal(global is not null && allowed, AccessPolicy.CanReport(caller, Yanta));
    }

    [Fact]
    public void Arrival_and_resolution_belong_to_the_officer_or_unit_dispatched_and_the_stations_command()
    {
        var incident = Dispatched();
        var officer = new Caller(new Person("wang.lei", "W"), new HashSet<GlobalRole>(), []);
        var sameUnit = As(StationRole.Officer, "PATROL-7");
        var otherUnit = As(StationRole.Officer, "patrol-5");

        Assert.True(AccessPolicy.CanWorkOnScene(officer, incident.Access));
        Assert.True(AccessPolicy.CanWorkOnScene(sameUnit, incident.Access));
        Assert.False(AccessPolicy.CanWorkOnScene(otherUnit, incident.Access));
        Assert.False(AccessPolicy.CanWorkOnScene(As(StationRole.Officer, "patrol-7", Yanta), incident.Access));
        Assert.True(AccessPolicy.CanWorkOnScene(As(StationRole.DutyOfficer), incident.Access));
        Assert.True(AccessPolicy.CanWorkOnScene(As(StationRole.Chief), incident.Access));
        Assert.False(AccessPolicy.CanWorkOnScene(As(StationRole.Chief, at: Yanta), incident.Access));
        Assert.False(AccessPolicy.CanWorkOnScene(As(StationRole.Dispatcher), incident.Access));
        Assert.False(AccessPolicy.CanWorkOnScene(Global(GlobalRole.CommandCenter), incident.Access));
    }

    [Fact]
    public void Closing_belongs_to_the_stations_duty_officers_and_chief()
    {
        Assert.True(AccessPolicy.CanClose(As(StationRole.DutyOfficer), Beilin));
        Assert.True(AccessPolicy.CanClose(As(StationRole.Chief), Beilin));
        Assert.False(AccessPolicy.CanClose(As(StationRole.Dispatcher), Beilin));
        Assert.False(AccessPolicy.CanClose(As(StationRole.Officer), Beilin));
        Assert.False(AccessPolicy.CanClose(As(StationRole.Chief, at: Yanta), Beilin));
        Assert.False(AccessPolicy.CanClose(Global(GlobalRole.CommandCenter), Beilin));
    }

    [Theory]
    [InlineData(1, "duty-officer", true)]
    [InlineData(2, "duty-officer", false)]
    [InlineData(3, "duty-officer", false)]
    [InlineData(1, "chief", true)]
    [InlineData(2, "chief", true)]
    [InlineData(3, "chief", false)]
    [InlineData(3, "command-center", true)]
    [InlineData(1, "dispatcher", false)]
    [InlineData(9, "chief", false)]
    [InlineData(9, "command-center", true)]
    public void A_level_is_acknowledged_by_its_audience_or_a_higher_ones(int level, string who, bool allowed)
    {
        var plan = ResponsePolicy.Default.Plan;
        var caller = who switch
        {
            "duty-officer" => As(StationRole.DutyOfficer),
            "chief" => As(StationRole.Chief),
            "dispatcher" => As(StationRole.Dispatcher),
            _ => Global(GlobalRole.CommandCenter),
        };

        Assert.Equal(allowed, AccessPolicy.CanAcknowledge(caller, Beilin, plan, level));
        Assert.False(AccessPolicy.CanAcknowledge(As(StationRole.Chief, at: Yanta), Beilin, plan, 1));
    }

    [Fact]
    public void Reading_a_station_takes_its_roster_or_a_global_watch()
    {
        Assert.True(AccessPolicy.CanRead(As(StationRole.Officer), Beilin));
        Assert.False(AccessPolicy.CanRead(As(StationRole.Chief, at: Yanta), Beilin));
        Assert.True(AccessPolicy.CanRead(Global(GlobalRole.CommandCenter), Beilin));
        Assert.True(AccessPolicy.CanRead(Global(GlobalRole.Auditor), Beilin));
        Assert.False(AccessPolicy.CanRead(Global(GlobalRole.Admin), Beilin));
    }

    [Fact]
    public void The_roster_is_read_by_its_members_and_admins_and_kept_by_admins_and_its_chief_below_chief()
    {
        Assert.True(AccessPolicy.CanReadRoster(As(StationRole.Officer), Beilin));
        Assert.True(AccessPolicy.CanReadRoster(Global(GlobalRole.Admin), Beilin));
        Assert.False(AccessPolicy.CanReadRoster(Global(GlobalRole.CommandCenter), Beilin));
        foreach (var role in new[] { StationRole.Dispatcher, StationRole.Officer, StationRole.DutyOfficer })
        {
            Assert.True(AccessPolicy.CanManageRoster(As(StationRole.Chief), Beilin, role));
        }

        Assert.False(AccessPolicy.CanManageRoster(As(StationRole.Chief), Beilin, StationRole.Chief));
        Assert.False(AccessPolicy.CanManageRoster(As(StationRole.Chief, at: Yanta), Beilin, StationRole.Officer));
        Assert.False(AccessPolicy.CanManageRoster(As(StationRole.DutyOfficer), Beilin, StationRole.Officer));
        Assert.True(AccessPolicy.CanManageRoster(Global(GlobalRole.Admin), Beilin, StationRole.Chief));
    }

    [Fact]
    public void Only_auditors_read_the_audit_trail_and_reports_follow_station_command_or_a_global_watch()
    {
        Assert.True(AccessPolicy.CanReadAudit(Global(GlobalRole.Auditor)));
        Assert.False(AccessPolicy.CanReadAudit(Global(GlobalRole.Admin)));
        Assert.False(AccessPolicy.CanReadAudit(As(StationRole.Chief)));

        Assert.True(AccessPolicy.CanReadReports(As(StationRole.Chief), Beilin));
        Assert.True(AccessPolicy.CanReadReports(As(StationRole.DutyOfficer), Beilin));
        Assert.False(AccessPolicy.CanReadReports(As(StationRole.Dispatcher), Beilin));
        Assert.False(AccessPolicy.CanReadReports(As(StationRole.Chief), Yanta));
        Assert.False(AccessPolicy.CanReadReports(As(StationRole.Chief), null));
        Assert.True(AccessPolicy.CanReadReports(Global(GlobalRole.CommandCenter), null));
        Assert.True(AccessPolicy.CanReadReports(Global(GlobalRole.Auditor), null));

        Assert.True(AccessPolicy.CanReadOperations(Global(GlobalRole.Admin)));
        Assert.True(AccessPolicy.CanReadOperations(Global(GlobalRole.Auditor)));
        Assert.True(AccessPolicy.CanReadOperations(Global(GlobalRole.CommandCenter)));
        Assert.False(AccessPolicy.CanReadOperations(As(StationRole.Chief)));
    }

    [Fact]
    public void Subject_ids_are_narrow_because_they_become_table_keys()
    {
        Assert.True(Person.IsValidSubject("wang.lei"));
        Assert.True(Person.IsValidSubject("6f0c2b1e-1d4f-4c8a-9a55-1b2c3d4e5f60"));
        Assert.False(Person.IsValidSubject(null));
        Assert.False(Person.IsValidSubject(""));
        Assert.False(Person.IsValidSubject("a/b"));
        Assert.False(Person.IsValidSubject("wang lei"));
        Assert.False(Person.IsValidSubject(new string('a', 129)));
        Assert.True(Person.IsValidSubject(new string('a', 128)));
        Assert.True(Person.System("sweep").IsSystem);
        Assert.False(World.Officer.IsSystem);
    }

    [Fact]
    public void Role_names_round_trip_and_unknown_ones_are_refused()
    {
        foreach (var role in Enum.GetValues<StationRole>())
        {
            Assert.True(RoleNames.TryParse(role.Name(), out StationRole parsed));
            Assert.Equal(role, parsed);
        }

        foreach (var role in Enum.GetValues<GlobalRole>())
        {
            Assert.True(RoleNames.TryParse(role.Name(), out GlobalRole parsed));
            Assert.Equal(role, parsed);
        }

        Assert.False(RoleNames.TryParse("Chief", out StationRole _));
        Assert.False(RoleNames.TryParse("root", out GlobalRole _));
        Assert.Equal(["dispatcher", "officer", "duty-officer", "chief"], RoleNames.StationRoles);
        Assert.Equal(["admin", "auditor", "command-center"], RoleNames.GlobalRoles);
    }

    [Fact]
    public void Only_a_ladder_that_has_climbed_can_be_stopped_even_by_the_command_center()
    {
        var access = Dispatched().Access;

        Assert.False(AccessPolicy.MayStop(Global(GlobalRole.CommandCenter), access, 0));
        Assert.True(AccessPolicy.MayStop(Global(GlobalRole.CommandCenter), access, 1));
        Assert.False(Dispatched().Allows(IncidentAction.Acknowledge));
    }

    [Fact]
    public void A_stations_own_actions_are_reporting_for_its_desk_and_reading_reports_for_its_chief()
    {
        Assert.Equal(["report"], AccessPolicy.StationActions(As(StationRole.Dispatcher), Beilin));
        Assert.Equal(["report", "read-reports"], AccessPolicy.StationActions(As(StationRole.Chief), Beilin));
        Assert.Empty(AccessPolicy.StationActions(As(StationRole.Officer, "patrol-7"), Beilin));
        Assert.Equal(["read-reports"], AccessPolicy.StationActions(Global(GlobalRole.Auditor), Beilin));
    }
}
