using System.Net;
using System.Net.Http.Json;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Testing;
using NodaTime;
using Xunit.Abstractions;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The API says what the caller may do (issue 23): every incident answer lists <c>actions</c>, and for every role
/// and state each action is accepted exactly when it is listed. A listed action is called on a fresh incident in
/// that state and must succeed; one not listed is called too and must be refused (403, 409, or 404 for a person
/// who may not read the station) and change nothing.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class ActionsApiTests(Azurite azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Lifecycle = ["reported", "dispatched", "on-scene", "resolved", "closed"];

    private static readonly string[] AllActions = ["dispatch", "reassign", "arrive", "resolve", "close", "cancel", "acknowledge", "pause", "resume"];

    private ApiHost stack = null!;
    private Staff staff = null!;
    private Person partner = null!;
    private Person otherUnit = null!;
    private Dictionary<string, HttpClient> people = null!;
    private int calls;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
        var elsewhere = await stack.StaffAsync(ApiHost.NewStation());
        partner = new Person($"partner.{staff.Station.Value}", "Partner");
        otherUnit = new Person($"other.{staff.Station.Value}", "Other Unit");
        await stack.EnlistAsync(
            new Membership(staff.Station, partner, StationRole.Officer, "patrol-1"),
            new Membership(staff.Station, otherUnit, StationRole.Officer, "patrol-2"));
        people = new()
        {
            ["dispatcher"] = staff.As(staff.Dispatcher),
            ["officer dispatched to"] = staff.As(staff.Officer),
            ["officer of the same unit"] = stack.ClientAs(partner),
            ["officer of another unit"] = stack.ClientAs(otherUnit),
            ["duty officer"] = staff.As(staff.DutyOfficer),
            ["chief"] = staff.As(staff.Chief),
            ["chief of another station"] = elsewhere.As(elsewhere.Chief),
            ["command center"] = stack.Client,
            ["auditor"] = stack.ClientAs("auditor.actions", GlobalRole.Auditor),
            ["admin"] = stack.ClientAs("admin.actions", GlobalRole.Admin),
            ["nobody"] = stack.ClientAs("nobody.actions"),
        };
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task For_every_role_and_state_the_listed_actions_are_exactly_those_the_api_accepts()
    {
        var checkedStates = new List<string>();
        foreach (var state in new[] { "reported", "dispatched", "on-scene", "resolved", "closed", "cancelled", Paused })
        {
            await CheckAsync(state, () => MakeAsync(state));
            checkedStates.Add(state);
        }

        // Escalated states need time to pass: incidents for each are reported now, and checked once their ladder stands where wanted.
        var level1 = await PoolAsync(18);
        var level2 = await PoolAsync(18);
        var acknowledged = await PoolAsync(18);
        var level3 = await PoolAsync(18);
        await AdvanceAndSweepAsync(Duration.FromSeconds(70)); // P1 dispatch window 1 min: level 1 (duty officer)
        await CheckAsync("escalated to level 1", () => Task.FromResult(level1.Dequeue()));
        await AdvanceAndSweepAsync(Duration.FromMinutes(2)); // level 2 (chief)
        foreach (var id in acknowledged)
        {
            await Api.PostAsync(people["chief"], $"incidents/{id}/acknowledge", new { level = 2 });
        }

        await CheckAsync("escalated to level 2", () => Task.FromResult(level2.Dequeue()));
        await CheckAsync("acknowledged at level 2", () => Task.FromResult(acknowledged.Dequeue()));
        await AdvanceAndSweepAsync(Duration.FromMinutes(9)); // dispatch at level 3 (command center), arrival at level 2 (chief)
        await CheckAsync("dispatch clock at level 3, arrival at level 2", () => Task.FromResult(level3.Dequeue()));
        checkedStates.AddRange(["escalated to level 1", "escalated to level 2", "acknowledged at level 2", "dispatch clock at level 3, arrival at level 2"]);

        output.WriteLine($"{checkedStates.Count} states × {people.Count} people × {AllActions.Length} actions: {calls} action calls");
        Assert.Equal(11, checkedStates.Count);
    }

    [Fact]
    public async Task A_duty_officer_naming_level_1_on_the_chiefs_rung_is_told_where_it_stands_and_the_ladder_keeps_climbing()
    {
        var id = await MakeAsync("reported");
        await AdvanceAndSweepAsync(Duration.FromMinutes(3) + Duration.FromSeconds(10)); // the dispatch ladder stands at level 2, the chief's

        // The exact requests of issue 23: {} and {"level":2} were refused, {"level":1} stopped the chief's rung.
        using var none = await people["duty officer"].PostAsJsonAsync($"incidents/{id}/acknowledge", new { });
        using var named2 = await people["duty officer"].PostAsJsonAsync($"incidents/{id}/acknowledge", new { level = 2 });
        using var named1 = await people["duty officer"].PostAsJsonAsync($"incidents/{id}/acknowledge", new { level = 1 });
        var seen = await Api.GetAsync(people["duty officer"], $"incidents/{id}");
        await AdvanceAndSweepAsync(Duration.FromMinutes(9)); // the command center's rung comes due

        await Api.AssertProblemAsync(none, HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(named2, HttpStatusCode.Forbidden);
        var stale = await Api.AssertProblemAsync(named1, HttpStatusCode.Conflict);
        Assert.Equal(2, stale["level"]!.GetValue<int>());
        Assert.Equal((2, 0), (seen["reachedLevel"]!.GetValue<int>(), seen["actions"]!.AsArray().Count(a => a!.GetValue<string>() == "acknowledge")));
        var after = await Api.GetAsync(stack.Client, $"incidents/{id}");
        Assert.Equal(3, after["clocks"]!["dispatch"]!["level"]!.GetValue<int>());
        Assert.Null(after["clocks"]!["dispatch"]!["acknowledgedBy"]);
    }

    /// <summary>Reads each person's <c>actions</c> on one incident in the state, then calls every action as that person.</summary>
    private async Task CheckAsync(string state, Func<Task<string>> fresh)
    {
        var probe = await fresh();
        var before = await VersionAsync(probe);
        foreach (var (who, client) in people)
        {
            using var read = await client.GetAsync($"incidents/{probe}");
            var listed = read.StatusCode == HttpStatusCode.OK
                ? (await ApiHost.ReadJsonAsync(read))!["actions"]!.AsArray().Select(a => a!.GetValue<string>()).ToList()
                : [];
            Assert.True(read.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{state}, {who}: reading gave {(int)read.StatusCode}");
            Assert.All(listed, a => Assert.Contains(a, AllActions));
            foreach (var action in AllActions)
            {
                var target = listed.Contains(action) ? await fresh() : probe;
                using var response = await client.PostAsJsonAsync($"incidents/{target}/{action}", Body(action, state));
                calls++;
                var status = (int)response.StatusCode;
                if (listed.Contains(action))
                {
                    Assert.True(status == 200, $"{state}: '{action}' is listed for the {who}, but the API answered {status}: {await response.Content.ReadAsStringAsync()}");
                }
                else
                {
                    Assert.True(status is 403 or 404 or 409, $"{state}: '{action}' is not listed for the {who}, but the API answered {status}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        Assert.Equal(before, await VersionAsync(probe)); // nothing refused changed it
    }

    /// <summary>The resolution clock is paused (issue 28): pause is still listed, for the clocks that run.</summary>
    private const string Paused = "reported, resolution clock paused";

    /// <summary>
    /// A pause names the resolution clock (two hours: it runs, unpaused, in every state the test reaches while it
    /// is open), except where that one is already paused; a resume names the paused one.
    /// </summary>
    private object Body(string action, string state = "") => action switch
    {
        "pause" => new { clock = state == Paused ? "dispatch" : "resolution", reason = "road-closed" },
        "resume" => new { clock = "resolution" },
        "dispatch" => new { unit = "patrol-1", officer = staff.Officer.Subject },
        "reassign" => new { unit = "patrol-2", officer = otherUnit.Subject },
        "resolve" => new { outcome = "settled on the spot" },
        "cancel" => new { reason = "duplicate call" },
        _ => new { },
    };

    private async Task<string> MakeAsync(string state)
    {
        var dispatcher = people["dispatcher"];
        var id = (await ApiHost.ReportAsync(dispatcher, ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        if (state == Paused)
        {
            await Api.PostAsync(people["duty officer"], $"incidents/{id}/pause", Body("pause"));
            return id;
        }

        if (state == "cancelled")
        {
            await Api.PostAsync(dispatcher, $"incidents/{id}/cancel", new { reason = "hoax" });
            return id;
        }

        var steps = new (string Action, HttpClient By)[]
        {
            ("dispatch", dispatcher), ("arrive", people["officer dispatched to"]), ("resolve", people["officer dispatched to"]), ("close", people["duty officer"]),
        };
        var upTo = Array.IndexOf(Lifecycle, state);
        foreach (var (action, by) in steps.Take(upTo))
        {
            await Api.PostAsync(by, $"incidents/{id}/{action}", Body(action));
        }

        return id;
    }

    private async Task<Queue<string>> PoolAsync(int count)
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => MakeAsync("reported")));
        return new Queue<string>(ids);
    }

    private async Task AdvanceAndSweepAsync(Duration by)
    {
        stack.Clock.Advance(by);
        await stack.Service<Sweeper>().SweepAsync(default);
    }

    private async Task<int> VersionAsync(string id) => (await Api.GetAsync(stack.Client, $"incidents/{id}"))["version"]!.GetValue<int>();
}
