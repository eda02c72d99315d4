using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using Dispatch.Testing;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The verified share of arrivals (issue 27 §5) through the report endpoints on Azurite, read once from the day's
/// incidents and once from the digest that first read wrote (issue 29 §5), against figures worked out by hand below.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class VerifiedArrivalReportTests(Azurite azurite) : IAsyncLifetime
{
    // Places in Xi'an Beilin (shared/notes/units-and-dispatch.md); every incident is at the Bell Tower. Distances from
    // it by hand (HaversineTests): Drum Tower 340.10 m, South Gate 1,106.91 m; the radius is 300 m plus the accuracy.
    private static readonly object DrumTower50 = new { latitude = 34.2630, longitude = 108.9395, accuracy = 50 }; // 340.10 <= 350: verified
    private static readonly object SouthGate10 = new { latitude = 34.2518, longitude = 108.9469, accuracy = 10 }; // 1,106.91 > 310: unverified
    private static readonly object BellTower5 = new { latitude = 34.2610, longitude = 108.9423, accuracy = 5 }; // 0 <= 305: verified

    private ApiHost stack = null!;
    private Staff staff = null!;
    private Person secondCrew = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
        secondCrew = new Person($"second.{staff.Station.Value}", "Second Crew");
        await stack.EnlistAsync(new Membership(staff.Station, secondCrew, StationRole.Officer, "patrol-2"));

        // patrol-1 (the staff's officer): verified on time; unverified on time.
        await PlayAsync("patrol-1", staff.Officer, DrumTower50, late: false);
        await PlayAsync("patrol-1", staff.Officer, SouthGate10, late: false);
        // patrol-2 (Second Crew): verified but 30 minutes after dispatch (the P1 arrival window is 5 minutes: met late);
        // no position (unverified); verified on time; and one dispatched that never arrives (no arrival to count).
        await PlayAsync("patrol-2", secondCrew, BellTower5, late: true);
        await PlayAsync("patrol-2", secondCrew, null, late: false);
        await PlayAsync("patrol-2", secondCrew, DrumTower50, late: false);
        await PlayAsync("patrol-2", secondCrew, null, late: false, arrive: false);

        // Two days on, 26 November has ended (Asia/Shanghai): its report may come from a digest.
        stack.Clock.Advance(Duration.FromDays(2));
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task Reports_give_the_verified_share_of_arrivals_per_unit_officer_and_station_from_the_incidents_and_from_the_digest()
    {
        // By hand. patrol-1: 2 arrivals, 1 verified (1/2 = 0.5), that one on time (1/1 = 1.0).
        // patrol-2: 3 arrivals, 2 verified (2/3 = 0.6667), 1 of those on time (1/2 = 0.5).
        // The station: 5 arrivals, 3 verified (3/5 = 0.6), 2 of those on time (2/3 = 0.6667).
        (int, int, double?, int, double?) patrol1 = (2, 1, 0.5, 1, 1.0);
        (int, int, double?, int, double?) patrol2 = (3, 2, 0.6667, 1, 0.5);
        (int, int, double?, int, double?) station = (5, 3, 0.6, 2, 0.6667);
        var chief = staff.As(staff.Chief);
        var query = $"station={staff.Station.Value}&from=2026-11-26&to=2026-11-26&clock=arrival";

        Assert.Null((await stack.Service<IDayDigests>().ReadAsync(staff.Station, new LocalDate(2026, 11, 26), new LocalDate(2026, 11, 26), ClockKind.Arrival, GroupBy.Unit, default))
            .GetValueOrDefault(new LocalDate(2026, 11, 26))?.Slice);
        for (var read = 0; read < 2; read++)
        {
            var byUnit = await Api.GetAsync(chief, $"reports/response-times?{query}&by=unit");
            Assert.Equal(station, Arrivals(byUnit["total"]!));
            Assert.Equal(patrol1, Arrivals(Group(byUnit, "patrol-1")));
            Assert.Equal(patrol2, Arrivals(Group(byUnit, "patrol-2")));

            var byOfficer = await Api.GetAsync(chief, $"reports/response-times?{query}&by=officer");
            Assert.Equal(patrol1, Arrivals(Group(byOfficer, staff.Officer.Subject)));
            Assert.Equal(patrol2, Arrivals(Group(byOfficer, secondCrew.Subject)));

            var ranking = await Api.GetAsync(stack.ClientAs(ApiHost.CommandCenter, GlobalRole.CommandCenter),
                $"reports/ranking?station=all&from=2026-11-26&to=2026-11-26&clock=arrival&by=station");
            var listed = ranking["ranked"]!.AsArray().Concat(ranking["unranked"]!.AsArray()).Single(g => (string?)g!["key"] == staff.Station.Value)!;
            Assert.Equal(station, Arrivals(listed));

            // The first read wrote the day's digest; the second read the figures above from it.
            var digest = (await stack.Service<IDayDigests>().ReadAsync(staff.Station, new LocalDate(2026, 11, 26), new LocalDate(2026, 11, 26), ClockKind.Arrival, GroupBy.Unit, default))
                [new LocalDate(2026, 11, 26)];
            Assert.NotNull(digest.Slice);
            Assert.Equal((5, 3, 2), (digest.Slice!.Total.Arrivals.Arrived, digest.Slice.Total.Arrivals.Verified, digest.Slice.Total.Arrivals.VerifiedMet));
        }

        // Other clocks carry no arrivals.
        Assert.Null((await Api.GetAsync(chief, $"reports/response-times?station={staff.Station.Value}&from=2026-11-26&to=2026-11-26&clock=dispatch&by=unit"))["total"]!["arrivals"]);
    }

    [Fact]
    public async Task The_csv_carries_the_verified_arrivals_per_unit_officer_and_station_and_names_them_in_chinese_when_asked()
    {
        // The figures worked by hand in the test above, as the CSV writes numbers (invariant, the JSON's rounding):
        // patrol-1 2 arrived, 1 verified, share 0.5, 1 on time, 1/1; patrol-2 3, 2, 0.6667, 1, 1/2; the station 5, 3, 0.6, 2, 0.6667.
        string[] patrol1 = ["2", "1", "0.5", "1", "1"], patrol2 = ["3", "2", "0.6667", "1", "0.5"], station = ["5", "3", "0.6", "2", "0.6667"];
        var chief = staff.As(staff.Chief);
        var query = $"station={staff.Station.Value}&from=2026-11-26&to=2026-11-26&clock=arrival";

        var byUnit = Csv.Parse(await CsvAsync(chief, $"reports/response-times?{query}&by=unit"));
        var byOfficer = Csv.Parse(await CsvAsync(chief, $"reports/response-times?{query}&by=officer"));
        var ranking = Csv.Parse(await CsvAsync(stack.ClientAs(ApiHost.CommandCenter, GlobalRole.CommandCenter),
            "reports/ranking?station=all&from=2026-11-26&to=2026-11-26&clock=arrival&by=station"));
        var labelled = (await CsvAsync(chief, $"reports/response-times?{query}&by=unit&labels=zh-CN")).Split("\r\n");
        var dispatchClock = Csv.Parse(await CsvAsync(chief, $"reports/response-times?station={staff.Station.Value}&from=2026-11-26&to=2026-11-26&clock=dispatch&by=unit"));

        Assert.Equal(station, Verified(byUnit, "total"));
        Assert.Equal(patrol1, Verified(byUnit, "patrol-1"));
        Assert.Equal(patrol2, Verified(byUnit, "patrol-2"));
        Assert.Equal(patrol1, Verified(byOfficer, staff.Officer.Subject));
        Assert.Equal(patrol2, Verified(byOfficer, secondCrew.Subject));
        Assert.Equal(station, Verified(ranking, staff.Station.Value));
        // The words people read, from shared/notes/language.md (到场已核验 verified arrival, 按时率 compliance), above the keys.
        Assert.EndsWith(",到场数,到场已核验,核验占比,到场已核验且按时,按时率（到场已核验）", labelled[0], StringComparison.Ordinal);
        Assert.EndsWith(",arrived,verified,verifiedShare,verifiedMet,verifiedCompliance", labelled[1], StringComparison.Ordinal);
        // Other clocks carry no arrivals: the columns are there, empty.
        Assert.Equal(["", "", "", "", ""], Verified(dispatchClock, "total"));
    }

    private static string[] Verified(List<Dictionary<string, string>> rows, string key)
    {
        var row = Assert.Single(rows, r => r["key"] == key);
        return [row["arrived"], row["verified"], row["verifiedShare"], row["verifiedMet"], row["verifiedCompliance"]];
    }

    private static async Task<string> CsvAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return text;
    }

    private async Task PlayAsync(string unit, Person officer, object? position, bool late, bool arrive = true)
    {
        var report = ApiHost.Report(staff.Station.Value, "P1");
        report["location"]!["latitude"] = 34.2610;
        report["location"]!["longitude"] = 108.9423;
        var id = (string)(await ApiHost.ReportAsync(staff.As(staff.Dispatcher), report))["id"]!;
        stack.Clock.Advance(Duration.FromSeconds(30));
        await Api.PostAsync(staff.As(staff.Dispatcher), $"incidents/{id}/dispatch", new { unit, officer = officer.Subject });
        stack.Clock.Advance(late ? Duration.FromMinutes(30) : Duration.FromMinutes(2));
        if (arrive)
        {
            await Api.PostAsync(stack.ClientAs(officer), $"incidents/{id}/arrive", position);
        }

        stack.Clock.Advance(Duration.FromMinutes(1));
    }

    private static JsonNode Group(JsonObject report, string key) => report["groups"]!.AsArray().Single(g => (string?)g!["key"] == key)!;

    private static (int Arrived, int Verified, double? Share, int VerifiedMet, double? VerifiedCompliance) Arrivals(JsonNode figures)
    {
        var a = figures["arrivals"]!;
        return ((int)a["arrived"]!, (int)a["verified"]!, (double?)a["verifiedShare"], (int)a["verifiedMet"]!, (double?)a["verifiedCompliance"]);
    }
}
