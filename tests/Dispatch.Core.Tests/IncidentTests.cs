using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Core.Tests;

public sealed class IncidentTests
{
    private static readonly Instant Noon = Instant.FromUtc(2026, 11, 26, 12, 0);
    private readonly FakeClock clock = new(Noon);

    private static IncidentReport Report(Priority priority = Priority.P1, Zone zone = Zone.Urban) =>
        new(StationId.Parse("beilin-01"), "theft", priority, zone, new Location("1 Bell Tower Square", null, null), "", Channel.Phone, null);

    private Incident Open(Priority priority = Priority.P1, Zone zone = Zone.Urban)
    {
        var report = Report(priority, zone);
        return Incident.Open(IncidentId.New(report.Station, clock.GetCurrentInstant()), report, ResponsePolicy.Default, clock.GetCurrentInstant(), "desk").Incident;
    }

    [Fact]
    public void Opening_stamps_the_clock_and_sets_deadlines_from_the_targets()
    {
        var incident = Open(Priority.P2, Zone.Rural);

        Assert.Equal(Noon, incident.ReportedAt);
        Assert.Equal(Noon + Duration.FromMinutes(3), incident.DispatchClock.Deadline);
        Assert.Equal(Noon + Duration.FromMinutes(30), incident.ArrivalClock.Deadline);
        Assert.Equal(Noon + Duration.FromHours(8), incident.ResolutionClock.Deadline);
        Assert.All(incident.Clocks, c => Assert.Equal(ClockState.Running, c.StateAt(Noon)));
    }

    [Fact]
    public void A_clock_met_on_its_deadline_is_met_and_one_second_later_is_breached()
    {
        var onTime = Open().Dispatch("u", "o", Noon + Duration.FromMinutes(1), "desk").Incident;
        var late = Open().Dispatch("u", "o", Noon + Duration.FromSeconds(61), "desk").Incident;

        Assert.Equal(ClockState.Met, onTime.DispatchClock.StateAt(Noon + Duration.FromDays(1)));
        Assert.Equal(ClockState.Breached, late.DispatchClock.StateAt(Noon + Duration.FromDays(1)));
    }

    [Fact]
    public void An_unmet_clock_breaches_at_its_deadline()
    {
        var incident = Open();

        Assert.Equal(ClockState.Running, incident.DispatchClock.StateAt(Noon + Duration.FromSeconds(59)));
        Assert.Equal(ClockState.Breached, incident.DispatchClock.StateAt(Noon + Duration.FromSeconds(60)));
        Assert.True(incident.IsOverdueAt(Noon + Duration.FromSeconds(60)));
        Assert.False(incident.IsOverdueAt(Noon + Duration.FromSeconds(59)));
    }

    [Fact]
    public void Milestones_go_in_order_and_each_meets_its_clock()
    {
        var t = Noon;
        var incident = Open();
        incident = incident.Dispatch("patrol-7", "wang", t += Duration.FromSeconds(30), "desk").Incident;
        incident = incident.Arrive(t += Duration.FromMinutes(3), "patrol-7").Incident;
        var resolved = incident.Resolve("settled", t += Duration.FromMinutes(20), "wang");
        incident = resolved.Incident.Close(t += Duration.FromMinutes(1), "desk").Incident;

        Assert.Equal(IncidentStatus.Closed, incident.Status);
        Assert.Equal(5, incident.Version);
        Assert.Equal(4, Assert.Single(resolved.Events).Sequence);
        Assert.Equal(EventKind.Resolved, resolved.Events[0].Kind);
        Assert.All(incident.Clocks, c => Assert.Equal(ClockState.Met, c.StateAt(t)));
        Assert.Null(incident.NextDeadline);
        Assert.False(incident.IsOpen);
    }

    [Theory]
    [InlineData("arrive")]
    [InlineData("resolve")]
    [InlineData("close")]
    public void Skipping_a_milestone_is_refused(string action)
    {
        var incident = Open();

        var refusal = Assert.Throws<InvalidTransitionException>(() => _ = action switch
        {
            "arrive" => incident.Arrive(Noon, "x"),
            "resolve" => incident.Resolve("done", Noon, "x"),
            _ => incident.Close(Noon, "x"),
        });
        Assert.Contains("reported", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispatching_twice_is_refused()
    {
        var dispatched = Open().Dispatch("u", "o", Noon, "x").Incident;
        Assert.Throws<InvalidTransitionException>(() => dispatched.Dispatch("u2", "o2", Noon, "x"));
    }

    [Fact]
    public void Cancelling_stops_running_clocks_but_keeps_a_breach_that_already_happened()
    {
        var cancelled = Open().Cancel("hoax", Noon + Duration.FromMinutes(2), "desk").Incident;

        Assert.Equal(ClockState.Breached, cancelled.DispatchClock.StateAt(Noon + Duration.FromDays(9)));
        Assert.Equal(ClockState.Stopped, cancelled.ArrivalClock.StateAt(Noon + Duration.FromDays(9)));
        Assert.Equal(ClockState.Stopped, cancelled.ResolutionClock.StateAt(Noon + Duration.FromDays(9)));
        Assert.Throws<InvalidTransitionException>(() => cancelled.Cancel("again", Noon, "desk"));
    }

    [Fact]
    public void Next_deadline_is_the_earliest_running_clock()
    {
        var incident = Open();
        Assert.Equal(Noon + Duration.FromMinutes(1), incident.NextDeadline);

        var dispatched = incident.Dispatch("u", "o", Noon, "x").Incident;
        Assert.Equal(Noon + Duration.FromMinutes(5), dispatched.NextDeadline);
    }

    [Fact]
    public void Incident_ids_carry_the_station_and_round_trip()
    {
        var id = IncidentId.New(StationId.Parse("Beilin-01"), Noon);

        Assert.StartsWith("beilin-01.", id.Value, StringComparison.Ordinal);
        Assert.Equal(36, id.Value.Length);
        Assert.True(IncidentId.TryParse(id.Value.ToLowerInvariant(), out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(IncidentId.TryParse("beilin-01.short", out _));
        Assert.False(IncidentId.TryParse(".01JD8Z6Q3W4V5X6Y7Z8A9B0C1D", out _));
        Assert.False(IncidentId.TryParse("bad station.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D", out _));
        Assert.False(IncidentId.TryParse("beilin.01JD8Z6Q3W4V5X6Y7Z8A9B0C1U", out _));
    }

    [Fact]
    public void An_id_remembers_its_report_instant_to_the_millisecond()
    {
        var at = Noon + Duration.FromTicks(12_345_678);

        Assert.Equal(Instant.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()), IncidentId.New(StationId.Parse("s"), at).Timestamp);
    }

    [Fact]
    public void Ids_sort_by_report_time()
    {
        var earlier = IncidentId.New(StationId.Parse("s"), Noon);
        var later = IncidentId.New(StationId.Parse("s"), Noon + Duration.FromMilliseconds(1));
        Assert.True(string.CompareOrdinal(earlier.Value, later.Value) < 0);
    }

    [Fact]
    public void The_request_hash_changes_with_any_field_and_not_otherwise()
    {
        Assert.Equal(IncidentService.HashOf(Report()), IncidentService.HashOf(Report()));
        Assert.NotEqual(IncidentService.HashOf(Report()), IncidentService.HashOf(Report(Priority.P2)));
        Assert.NotEqual(IncidentService.HashOf(Report()), IncidentService.HashOf(Report() with { ReporterContact = "x" }));
    }
}
