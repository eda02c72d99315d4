using System.Net;
using System.Net.Http.Json;
using Dispatch.Core.Identity;
using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

[Collection(SharedAzurite.Name)]
public sealed class RosterApiTests(Azurite azurite) : IAsyncLifetime
{
    private ApiHost stack = null!;
    private Staff staff = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    private string Roster => $"stations/{staff.Station.Value}/roster";

    [Fact]
    public async Task The_chief_adds_and_removes_officers_and_access_follows_at_once()
    {
        var chief = staff.As(staff.Chief);
        var newcomer = stack.ClientAs("ma.lin");
        using var before = await newcomer.GetAsync($"incidents?station={staff.Station.Value}");

        using var added = await chief.PutAsJsonAsync($"{Roster}/ma.lin", new { name = "Ma Lin", role = "officer", unit = "patrol-9" });
        using var during = await newcomer.GetAsync($"incidents?station={staff.Station.Value}");
        using var replaced = await chief.PutAsJsonAsync($"{Roster}/ma.lin", new { name = "Ma Lin", role = "officer", unit = "patrol-3" });
        var roster = await Api.GetAsync(newcomer, Roster);
        using var removed = await chief.DeleteAsync($"{Roster}/ma.lin");
        using var after = await newcomer.GetAsync($"incidents?station={staff.Station.Value}");

        await Api.AssertProblemAsync(before, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Contains(roster["members"]!.AsArray(), m => m!["id"]!.GetValue<string>() == "ma.lin" && m["unit"]!.GetValue<string>() == "patrol-3");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        await Api.AssertProblemAsync(after, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task One_person_enlisted_at_eight_stations_at_once_serves_at_all_eight_and_a_removal_leaves_the_others()
    {
        var admin = stack.ClientAs("root.admin", GlobalRole.Admin);
        var stations = Enumerable.Range(0, 8).Select(_ => ApiHost.NewStation()).ToList();

        var puts = await Task.WhenAll(stations.Select(s => admin.PutAsJsonAsync($"stations/{s}/roster/gao.fei", new { name = "Gao Fei", role = "officer" })));
        var enlisted = await Api.GetAsync(stack.ClientAs("gao.fei"), "me");
        using var removed = await admin.DeleteAsync($"stations/{stations[3]}/roster/gao.fei");
        var left = await Api.GetAsync(stack.ClientAs("gao.fei"), "me");

        Assert.All(puts, p => Assert.Equal(HttpStatusCode.Created, p.StatusCode));
        Assert.Equal(stations.Order(), enlisted["memberships"]!.AsArray().Select(m => m!["station"]!.GetValue<string>()).Order());
        Assert.Equal(stations.Where((_, i) => i != 3).Order(), left["memberships"]!.AsArray().Select(m => m!["station"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task A_chief_may_not_make_or_remove_a_chief_nor_touch_another_station_but_an_admin_may()
    {
        var chief = staff.As(staff.Chief);
        var other = await stack.StaffAsync(ApiHost.NewStation());
        var admin = stack.ClientAs(new Person("admin.test", "Admin"), GlobalRole.Admin);

        using var promote = await chief.PutAsJsonAsync($"{Roster}/{staff.Officer.Subject}", new { name = "Officer", role = "chief" });
        using var removeSelf = await chief.DeleteAsync($"{Roster}/{staff.Chief.Subject}");
        using var elsewhere = await chief.PutAsJsonAsync($"stations/{other.Station.Value}/roster/ma.lin", new { name = "Ma Lin", role = "officer" });
        using var byAdmin = await admin.PutAsJsonAsync($"{Roster}/new.chief", new { name = "New Chief", role = "chief" });
        using var notListed = await admin.DeleteAsync($"{Roster}/nobody");

        await Api.AssertProblemAsync(promote, HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(removeSelf, HttpStatusCode.Forbidden);
        await Api.AssertProblemAsync(elsewhere, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, byAdmin.StatusCode);
        await Api.AssertProblemAsync(notListed, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Roster_requests_are_validated_and_read_only_by_members_and_admins()
    {
        var chief = staff.As(staff.Chief);

        using var badRole = await chief.PutAsJsonAsync($"{Roster}/ma.lin", new { name = "Ma Lin", role = "sheriff" });
        using var noName = await chief.PutAsJsonAsync($"{Roster}/ma.lin", new { role = "officer" });
        using var badSubject = await chief.PutAsJsonAsync($"{Roster}/ma%20lin", new { name = "Ma Lin", role = "officer" });
        using var extra = await chief.PutAsJsonAsync($"{Roster}/ma.lin", new { name = "Ma Lin", role = "officer", rank = 3 });
        using var outsider = await stack.ClientAs("stranger").GetAsync(Roster);

        await Api.AssertProblemAsync(badRole, HttpStatusCode.BadRequest, "role");
        await Api.AssertProblemAsync(noName, HttpStatusCode.BadRequest, "name");
        await Api.AssertProblemAsync(badSubject, HttpStatusCode.BadRequest, "subject");
        await Api.AssertProblemAsync(extra, HttpStatusCode.BadRequest, "rank");
        await Api.AssertProblemAsync(outsider, HttpStatusCode.Forbidden);
        var members = (await Api.GetAsync(staff.As(staff.Officer), Roster))["members"]!.AsArray();
        Assert.Equal(4, members.Count);
    }
}
