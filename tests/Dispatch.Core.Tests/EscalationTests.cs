using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Tests;

/// <summary>The sweep's rules on one incident, with the default policy: P1 urban dispatch window of 1 minute.</summary>
public sealed class EscalationTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 11, 26, 12, 0);
    private static readonly Person Desk = new("li.ming", "Li Ming");
    private static readonly Person Wang = new("wang.lei", "Wang Lei");
    private static readonly Person Chief = new("zhang.wei", "Zhang Wei");

    private static Incident Open(string category = "theft", Priority priority = Priority.P1)
    {
        var report = new IncidentReport(StationId.Parse("s1"), category, priority, Zone.Urban, new Location("Drum Tower", null, null), "", Channel.Phone, null);
        return Incident.Open(IncidentId.New(report.Station, T0), report, ResponsePolicy.Default, T0, Desk).Incident;
    }

    private static (Incident Incident, List<Notice> Notices) SweepAt(Incident incident, Duration sinceReport)
    {
        var transition = incident.Sweep(T0 + sinceReport);
        return (transition.Incident, transition.Notices.ToList());
    }

    [Fact]
    public void Warnings_go_to_the_duty_officer_at_each_warning_point_and_not_before()
    {
        var incident = Open();

        var (early, none) = SweepAt(incident, Duration.FromSeconds(29));
        var (half, first) = SweepAt(early, Duration.FromSeconds(30));
        var (_, second) = SweepAt(half, Duration.FromSeconds(45));

        Assert.Empty(none);
        var warning = Assert.Single(first);
        Assert.Equal(NoticeKind.Warning, warning.Kind);
        Assert.Equal(ClockKind.Dispatch, warning.Clock);
        Assert.Equal(Audience.DutyOfficer, warning.Audience);
        Assert.Equal(1, warning.Level);
        Assert.Equal(2, Assert.Single(second).Level);
    }

    [Fact]
    public void A_breach_climbs_the_ladder_one_level_at_a_time()
    {
        var incident = Open();
        incident = SweepAt(incident, Duration.FromSeconds(45)).Incident;

        var (breached, atDeadline) = SweepAt(incident, Duration.FromMinutes(1));
        var (level2, afterTwo) = SweepAt(breached, Duration.FromMinutes(3));
        var (level3, afterTen) = SweepAt(level2, Duration.FromMinutes(11));
        var (_, later) = SweepAt(level3, Duration.FromHours(1.5));

        atDeadline = atDeadline.Where(n => n.Clock == ClockKind.Dispatch).ToList();
        afterTwo = afterTwo.Where(n => n.Clock == ClockKind.Dispatch).ToList();
        afterTen = afterTen.Where(n => n.Clock == ClockKind.Dispatch).ToList();
        var breach = Assert.Single(atDeadline);
        Assert.Equal((NoticeKind.Escalation, 1, Audience.DutyOfficer), (breach.Kind, breach.Level, breach.Audience));
        Assert.Equal(T0 + Duration.FromMinutes(1), breach.BreachedAt);
        Assert.Equal((2, Audience.Chief), (Assert.Single(afterTwo).Level, afterTwo[0].Audience));
        Assert.Equal(Duration.FromMinutes(2), afterTwo[0].OverdueBy);
        Assert.Equal((3, Audience.CommandCenter), (Assert.Single(afterTen).Level, afterTen[0].Audience));
        // The arrival clock (5 minutes) has climbed its own ladder meanwhile; dispatch has nothing left.
        Assert.DoesNotContain(later, n => n.Clock == ClockKind.Dispatch);
    }

    [Fact]
    public void After_downtime_one_sweep_records_every_missed_level_and_passes_over_moot_warnings()
    {
        var (incident, notices) = SweepAt(Open(), Duration.FromMinutes(11) + Duration.FromSeconds(30));

        var dispatch = notices.Where(n => n.Clock == ClockKind.Dispatch).ToList();
        Assert.Equal([1, 2, 3], dispatch.Select(n => n.Level));
        Assert.All(dispatch, n => Assert.Equal(NoticeKind.Escalation, n.Kind));
        Assert.Equal(3, incident.Clocks.Dispatch.Level);
        Assert.Equal(2, incident.Clocks.Dispatch.WarningsSent);
    }

    [Fact]
    public void A_clock_met_in_time_never_escalates()
    {
        var incident = Open().Dispatch("u", Wang, T0 + Duration.FromSeconds(50), Desk).Incident;

        var (_, notices) = SweepAt(incident, Duration.FromMinutes(4));

        Assert.DoesNotContain(notices, n => n.Clock == ClockKind.Dispatch);
        Assert.Contains(notices, n => n.Clock == ClockKind.Arrival && n.Kind == NoticeKind.Warning);
    }

    [Fact]
    public void Meeting_a_breached_clock_stops_its_ladder()
    {
        var breached = SweepAt(Open(), Duration.FromMinutes(1)).Incident;
        var dispatched = breached.Dispatch("u", Wang, T0 + Duration.FromSeconds(70), Desk).Incident;

        var (_, notices) = SweepAt(dispatched, Duration.FromMinutes(4));

        Assert.DoesNotContain(notices, n => n.Clock == ClockKind.Dispatch);
    }

    /// <summary>An acknowledger entitled to every ladder (who is entitled is AccessPolicy's to say, tested on its own).</summary>
    private static bool AnyClock(ResponseClock clock) => true;

    [Fact]
    public void Acknowledging_stops_the_ladder_of_the_escalated_clocks_only()
    {
        var breached = SweepAt(Open(), Duration.FromMinutes(1)).Incident;
        var acknowledged = breached.Acknowledge(null, AnyClock, T0 + Duration.FromSeconds(90), Chief);

        var (_, notices) = SweepAt(acknowledged.Incident, Duration.FromMinutes(20));

        Assert.Equal(EventKind.Acknowledged, Assert.Single(acknowledged.Events).Kind);
        Assert.Equal(Chief, acknowledged.Incident.Clocks.Dispatch.AcknowledgedBy);
        Assert.Equal(Chief, acknowledged.Events[0].Actor);
        Assert.DoesNotContain(notices, n => n.Clock == ClockKind.Dispatch);
        Assert.Contains(notices, n => n.Clock == ClockKind.Arrival && n.Kind == NoticeKind.Escalation);
    }

    [Fact]
    public void Acknowledging_with_nothing_escalated_or_beyond_the_level_reached_is_refused()
    {
        var fresh = Open();
        Assert.Throws<InvalidTransitionException>(() => fresh.Acknowledge(null, AnyClock, T0, Chief));

        var level1 = SweepAt(fresh, Duration.FromMinutes(1)).Incident;
        Assert.Equal(1, Assert.Throws<StaleLevelException>(() => level1.Acknowledge(2, AnyClock, T0, Chief)).CurrentLevel);
        Assert.Throws<Dispatch.Core.Identity.ForbiddenException>(() => level1.Acknowledge(1, _ => false, T0, Chief));
        Assert.Equal(1, Assert.IsType<EventDetails.Acknowledged>(level1.Acknowledge(1, AnyClock, T0, Chief).Events[0].Details).Level);
        Assert.Equal(1, level1.ReachedLevel);
        Assert.Equal(0, fresh.ReachedLevel);
    }

    [Fact]
    public void An_immediate_category_is_reported_to_the_chief_on_intake()
    {
        var report = new IncidentReport(StationId.Parse("s1"), "homicide", Priority.P1, Zone.Urban, new Location("Drum Tower", null, null), "", Channel.Phone, null);

        var opened = Incident.Open(IncidentId.New(report.Station, T0), report, ResponsePolicy.Default, T0, Desk);

        var notice = Assert.Single(opened.Notices);
        Assert.Equal((NoticeKind.Immediate, Audience.Chief), (notice.Kind, notice.Audience));
        Assert.Equal([EventKind.Reported, EventKind.Notified], opened.Events.Select(e => e.Kind));
        Assert.Equal(2, opened.Incident.Version);
        // The notice names the reporting person's request, not the sweep.
        Assert.Equal(Desk, opened.Events[1].Actor);
        Assert.Equal(Desk, notice.RaisedBy);
        Assert.Equal("Drum Tower", notice.Address);
        Assert.Empty(Open("theft").Sweep(T0).Notices);
    }

    [Fact]
    public void Message_ids_name_the_incident_clock_kind_and_level_and_never_the_time()
    {
        var incident = Open();
        var first = SweepAt(incident, Duration.FromMinutes(1)).Notices;
        var again = SweepAt(incident, Duration.FromMinutes(1) + Duration.FromSeconds(3)).Notices;

        Assert.Equal(first.Select(n => n.MessageId), again.Select(n => n.MessageId));
        Assert.Equal($"{incident.Id.Value}:dispatch:escalation:1", first.Single(n => n.Kind == NoticeKind.Escalation).MessageId);
        Assert.Equal(first.Count, first.Select(n => n.MessageId).Distinct().Count());
    }

    [Fact]
    public void Next_due_follows_warnings_then_the_deadline_then_the_ladder()
    {
        var incident = Open();
        Assert.Equal(T0 + Duration.FromSeconds(30), incident.NextDueAt);

        incident = SweepAt(incident, Duration.FromSeconds(45)).Incident;
        Assert.Equal(T0 + Duration.FromMinutes(1), incident.NextDueAt);

        incident = SweepAt(incident, Duration.FromMinutes(1)).Incident;
        Assert.Equal(T0 + Duration.FromMinutes(2.5), incident.NextDueAt); // arrival's 50% warning comes before dispatch level 2

        var closed = incident.Cancel("hoax", T0 + Duration.FromMinutes(2), Desk).Incident;
        Assert.Null(closed.NextDueAt);
    }

    [Fact]
    public void The_breach_records_who_held_the_clock_when_its_deadline_passed()
    {
        var dispatched = Open().Dispatch("patrol-7", Wang, T0 + Duration.FromSeconds(20), Desk).Incident;

        var breached = SweepAt(dispatched, Duration.FromMinutes(5) + Duration.FromSeconds(30)).Incident;
        var later = SweepAt(breached, Duration.FromMinutes(8)).Incident;

        var breach = breached.Clocks.Arrival.Breach!;
        Assert.Equal(T0 + Duration.FromMinutes(5), breach.At);
        Assert.Equal(("patrol-7", Wang), (breach.Holder.Unit, breach.Holder.Person));
        Assert.Equal(T0 + Duration.FromMinutes(5) + Duration.FromSeconds(30), breach.RecordedAt);
        Assert.Equal(breach, later.Clocks.Arrival.Breach);
        Assert.Null(breached.Clocks.Dispatch.Breach);
    }

    [Fact]
    public void Backoff_doubles_up_to_five_minutes()
    {
        Assert.Equal(Duration.FromSeconds(1), NoticeRelay.Backoff(1));
        Assert.Equal(Duration.FromSeconds(8), NoticeRelay.Backoff(4));
        Assert.Equal(Duration.FromMinutes(5), NoticeRelay.Backoff(30));
    }

    [Fact]
    public void One_sweep_that_climbs_two_rungs_numbers_their_events_in_turn()
    {
        // Dispatched at 90 s; at 7 minutes the arrival ladder has passed its deadline (5) and the chief's rung (5 + 2).
        var dispatched = Open().Dispatch("patrol-7", Wang, T0 + Duration.FromSeconds(90), Desk).Incident;

        var swept = dispatched.Sweep(T0 + Duration.FromMinutes(7));

        Assert.Equal(
            [(3, ClockKind.Arrival, 1, Audience.DutyOfficer), (4, ClockKind.Arrival, 2, Audience.Chief)],
            swept.Events.Select(e => Assert.IsType<EventDetails.Escalated>(e.Details) is var d ? (e.Sequence, d.Clock, d.Level, d.Audience) : default));
        Assert.Equal(4, swept.Incident.Version);
    }

    [Fact]
    public void A_warning_names_no_breach_and_is_not_overdue_while_an_escalation_says_how_late_it_is()
    {
        var warning = Assert.Single(SweepAt(Open(), Duration.FromSeconds(30)).Notices);
        var escalation = Assert.Single(SweepAt(Open(), Duration.FromSeconds(90)).Notices);

        Assert.Equal((NoticeKind.Warning, (Instant?)null, Duration.Zero, T0 + Duration.FromMinutes(1), T0 + Duration.FromSeconds(30)),
            (warning.Kind, warning.BreachedAt, warning.OverdueBy, warning.Deadline, warning.DueAt));
        // Both warnings are moot by 90 s; the breach was due at the deadline and goes out 30 s after it.
        Assert.Equal((NoticeKind.Escalation, T0 + Duration.FromMinutes(1), Duration.FromSeconds(30), T0 + Duration.FromMinutes(1)),
            (escalation.Kind, escalation.BreachedAt, escalation.OverdueBy, escalation.DueAt));
    }

    [Fact]
    public void Acknowledging_two_ladders_records_the_highest_level_stopped_and_a_refusal_names_the_lowest_standing()
    {
        // At 5 minutes the dispatch ladder stands at 2 (since 3 min) and the arrival ladder at 1 (its deadline).
        var (escalated, _) = SweepAt(Open(), Duration.FromMinutes(5));

        var both = escalated.Acknowledge(null, AnyClock, T0 + Duration.FromMinutes(6), Chief);
        var refused = Assert.Throws<ForbiddenException>(() => escalated.Acknowledge(null, _ => false, T0 + Duration.FromMinutes(6), Desk));

        var recorded = Assert.IsType<EventDetails.Acknowledged>(Assert.Single(both.Events).Details);
        Assert.Equal((2, "Dispatch,Arrival"), (recorded.Level, string.Join(",", recorded.Clocks)));
        Assert.Equal("Only the audience of level 1 or above (duty-officer and up) may acknowledge escalation level 1 of this incident.", refused.Message);
        Assert.Equal([2, 1], escalated.Access.EscalatedLevels);
    }
}
