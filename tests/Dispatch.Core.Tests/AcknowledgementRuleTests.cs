using CsCheck;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Tests.Doubles;
using NodaTime;
using Xunit.Abstractions;

namespace Dispatch.Core.Tests;

/// <summary>
/// Nobody can silence a rung (issue 23): an acknowledgement stops a clock's ladder only when the caller is
/// entitled to the level that ladder has actually reached. Every case is judged against <see cref="Rule"/>, the
/// README's role table written out as data, never against what the code answers.
/// </summary>
public sealed class AcknowledgementRuleTests(ITestOutputHelper output)
{
    /// <summary>
    /// Who may stop a ladder standing at each level of the default policy (1 duty officer, 2 chief, 3 command
    /// center): "the audience of level N or above at that station" (README, "Who may do what"). Beilin's people,
    /// yanta-02's chief, and people with a global role only.
    /// </summary>
    private static readonly Dictionary<string, bool[]> Rule = new()
    {
        //                                  level 1  level 2  level 3
        ["dispatcher"] =                  [false,   false,   false],
        ["officer"] =                     [false,   false,   false],
        ["duty-officer"] =                [true,    false,   false],
        ["chief"] =                       [true,    true,    false],
        ["chief of another station"] =    [false,   false,   false],
        ["command-center"] =              [true,    true,    true],
        ["auditor"] =                     [false,   false,   false],
        ["admin"] =                       [false,   false,   false],
    };

    /// <summary>Who may not read beilin-01 at all: to them its incidents do not exist (404), as for any id (README).</summary>
    private static readonly HashSet<string> CannotSeeBeilin = ["chief of another station", "admin"];

    /// <summary>The states a clock can be in when someone acknowledges.</summary>
    private enum ClockCase { Quiet, Level1, Level2, Level3, AcknowledgedAt2, MetAfterLevel1 }

    private static readonly int?[] Requested = [null, 1, 2, 3, 4];

    private static ApiCallFactory Callers(World world) => new()
    {
        ["dispatcher"] = () => world.Call(World.Dispatcher),
        ["officer"] = () => world.Call(World.Officer),
        ["duty-officer"] = () => world.Call(World.DutyOfficer),
        ["chief"] = () => world.Call(World.Chief),
        ["chief of another station"] = () => world.Call(World.YantaChief),
        ["command-center"] = () => world.Call(World.CommandCenter, GlobalRole.CommandCenter),
        ["auditor"] = () => world.Call(World.Auditor, GlobalRole.Auditor),
        ["admin"] = () => world.Call(World.Admin, GlobalRole.Admin),
    };

    [Fact]
    public async Task Every_role_reached_level_requested_level_and_mix_of_clock_states_follows_the_one_table()
    {
        var world = new World();
        var callers = Callers(world);
        var cases = Enum.GetValues<ClockCase>();
        var checkedCases = 0;
        var failures = new List<string>();
        foreach (var (who, call) in callers)
        {
            foreach (var dispatch in cases)
            {
                foreach (var arrival in cases)
                {
                    foreach (var resolution in cases)
                    {
                        foreach (var requested in Requested)
                        {
                            var before = Build([dispatch, arrival, resolution], checkedCases);
                            world.Store.Put(before);
                            var (status, stopped) = Expected(who, before, requested);
                            var caller = call();
                            var listed = AccessPolicy.ActionsOn(caller.Caller, before.Access).Contains(IncidentAction.Acknowledge);
                            var actual = await Outcome(() => world.Incidents.AcknowledgeAsync(caller, before.Id, requested, null, default));
                            var after = world.Get(before.Id);
                            var label = $"{who} acknowledging level {requested?.ToString() ?? "(none)"} with dispatch={dispatch} arrival={arrival} resolution={resolution}";
                            if (actual != status)
                            {
                                failures.Add($"{label}: expected {status}, got {actual}");
                            }

                            foreach (var kind in Enum.GetValues<ClockKind>())
                            {
                                var expectedClock = stopped.Contains(kind)
                                    ? before.Clocks[kind] with { AcknowledgedAt = World.T0, AcknowledgedBy = caller.Person }
                                    : before.Clocks[kind];
                                if (after.Clocks[kind] != expectedClock)
                                {
                                    failures.Add($"{label}: the {kind} clock should {(stopped.Contains(kind) ? "" : "not ")}have been stopped by {who}");
                                }
                            }

                            // The incident's listed actions come from the same rule: listed ⇔ an acknowledgement without a level succeeds.
                            if (requested is null && listed != (status == 200))
                            {
                                failures.Add($"{label}: 'acknowledge' {(listed ? "listed" : "not listed")}, but the request was {status}");
                            }

                            checkedCases++;
                        }
                    }
                }
            }
        }

        output.WriteLine($"{checkedCases} cases: {callers.Count} roles × {cases.Length}³ clock states × {Requested.Length} requested levels");
        Assert.True(failures.Count == 0, $"{failures.Count} of {checkedCases} cases break the rule, e.g.:\n{string.Join("\n", failures.Take(20))}");
        Assert.Equal(8 * 216 * 5, checkedCases);
    }

    /// <summary>
    /// The rule stated once more, for the property below: a person below a rung may stop a ladder that has not
    /// reached it (a duty officer taking charge at level 1 is his rung's right), but never one standing at or
    /// above it. So whenever a rung's notice never went out, the ladder was stopped below that rung by someone
    /// the table entitles to the level it stood at, and by nobody below it.
    /// </summary>
    [Fact]
    public void No_sequence_of_acknowledgements_by_people_below_a_rung_ever_prevents_that_rungs_notice()
    {
        var below = new[] { "dispatcher", "officer", "duty-officer", "chief", "chief of another station", "auditor", "admin" };
        var step = Gen.Select(Gen.Int[0, 900], Gen.Int[0, below.Length - 1], Gen.Int[0, 4].Select(l => l == 0 ? (int?)null : l));
        var runs = 0;
        Gen.Select(Gen.Int[2, 3], step.Array[1, 14]).Sample((rung, steps) =>
        {
            runs++;
            var world = new World();
            var callers = Callers(world);
            var id = world.ReportAsync().GetAwaiter().GetResult();
            var stoppedAt = new Dictionary<ClockKind, (string Who, int Level)>();
            foreach (var (seconds, index, level) in steps)
            {
                world.Clock.Advance(Duration.FromSeconds(seconds));
                world.Sweeper.SweepAsync(default).GetAwaiter().GetResult();
                var who = below[index];
                if (Rule[who][rung - 1])
                {
                    continue; // at or above this rung: not one of the people the property is about
                }

                var levels = world.Get(id).Clocks.ToDictionary(c => c.Kind, c => c.Level);
                try
                {
                    world.Incidents.AcknowledgeAsync(callers[who](), id, level, null, default).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is ForbiddenException or InvalidTransitionException or IncidentNotFoundException)
                {
                }

                foreach (var clock in world.Get(id).Clocks.Where(c => c.AcknowledgedAt is not null && !stoppedAt.ContainsKey(c.Kind)))
                {
                    stoppedAt[clock.Kind] = (who, levels[clock.Kind]);
                }
            }

            world.Clock.Advance(Duration.FromHours(3)); // past every deadline and every rung
            world.Sweeper.SweepAsync(default).GetAwaiter().GetResult();
            foreach (var kind in Enum.GetValues<ClockKind>())
            {
                var told = world.Publisher.Sent.Any(n => n.Clock == kind && n.Kind == NoticeKind.Escalation && n.Level == rung);
                if (!told)
                {
                    Assert.True(stoppedAt.TryGetValue(kind, out var stop), $"rung {rung} of the {kind} clock was never told, and nobody stopped its ladder");
                    Assert.True(stop.Level < rung && Rule[stop.Who][stop.Level - 1],
                        $"rung {rung} of the {kind} clock was never told: {stop.Who} stopped its ladder standing at level {stop.Level}");
                }
            }
        }, iter: 400, threads: 1);
        output.WriteLine($"{runs} generated sequences (CsCheck; a failure prints the seed to replay it)");
    }

    /// <summary>The outcome the rule gives, and which clocks it stops; worked out here from <see cref="Rule"/> alone.</summary>
    private static (int Status, HashSet<ClockKind> Stopped) Expected(string who, Incident incident, int? requested)
    {
        if (CannotSeeBeilin.Contains(who))
        {
            return (404, []);
        }

        // A ladder an acknowledgement can stop: escalated (level > 0), not yet acknowledged, clock still running.
        var ladders = incident.Clocks.Where(c => c.Level > 0 && c.AcknowledgedAt is null && c.MetAt is null && c.StoppedAt is null).ToList();
        if (ladders.Count == 0)
        {
            return (409, []);
        }

        if (requested is { } seen && seen != ladders.Max(c => c.Level))
        {
            return (409, []); // what the caller saw is not where the ladder stands: look again
        }

        var stopped = ladders.Where(c => Rule[who][c.Level - 1]).Select(c => c.Kind).ToHashSet();
        return stopped.Count == 0 ? (403, []) : (200, stopped);
    }

    private static Incident Build(ClockCase[] cases, int n)
    {
        var opened = Incident.Open(IncidentId.New(World.Beilin, World.T0 + Duration.FromMilliseconds(n)), World.Report(), Policy.ResponsePolicy.Default, World.T0, World.Dispatcher).Incident;
        var clocks = opened.Clocks;
        foreach (var (kind, state) in Enum.GetValues<ClockKind>().Zip(cases))
        {
            var clock = clocks[kind];
            clocks = clocks.With(state switch
            {
                ClockCase.Quiet => clock,
                ClockCase.Level1 => clock with { Level = 1 },
                ClockCase.Level2 => clock with { Level = 2 },
                ClockCase.Level3 => clock with { Level = 3 },
                ClockCase.AcknowledgedAt2 => clock with { Level = 2, AcknowledgedAt = World.T0 - Duration.FromMinutes(1), AcknowledgedBy = World.Chief },
                _ => clock with { Level = 1, MetAt = World.T0 - Duration.FromSeconds(1) },
            });
        }

        return opened with { Ladder = opened.Ladder with { Clocks = clocks } };
    }

    private static async Task<int> Outcome(Func<Task> act)
    {
        try
        {
            await act();
            return 200;
        }
        catch (IncidentNotFoundException)
        {
            return 404;
        }
        catch (ForbiddenException)
        {
            return 403;
        }
        catch (InvalidTransitionException)
        {
            return 409;
        }
    }

    private sealed class ApiCallFactory : Dictionary<string, Func<Audit.ApiCall>>;
}
