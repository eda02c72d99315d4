using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Dispatch.Bus;
using Dispatch.Core.Identity;
using Dispatch.Contracts;
using Dispatch.Functions.Timers;
using Dispatch.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The reports over HTTP on Azurite, from a shift played through the API on a FakeClock, checked against
/// the figures worked out by hand (see <see cref="DispatchSeconds"/>), and the shift report through the broker.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class ReportApiTests(Azurite azurite) : IAsyncLifetime
{
    /// <summary>
    /// Twelve P2 incidents (dispatch target 3 minutes) dispatched after these many seconds. Sorted: 20 40 60 80 100
    /// 120 150 170 | 190 240 300 400: met 8, breached 4, compliance 8/12 = 0.6667; nearest rank median = 6th =
    /// 120 s = PT2M, p90 = 11th = PT5M, p95 = 12th = PT6M40S; buckets 1, 1, 3, 3, 4.
    /// </summary>
    private static readonly int[] DispatchSeconds = [170, 20, 400, 60, 120, 240, 40, 80, 190, 100, 300, 150];

    private LocalBus bus = null!;
    private ApiHost stack = null!;
    private Staff staff = null!;

    private string Query => $"station={staff.Station.Value}&from=2026-11-26&to=2026-11-26&clock=dispatch";

    public async Task InitializeAsync()
    {
        bus = LocalBus.Start(BusConfig.Load(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")));
        stack = await ApiHost.StartAsync(azurite.ConnectionString, serviceBus: bus.ConnectionString);
        staff = await stack.StaffAsync(ApiHost.NewStation());
        var dispatcher = staff.As(staff.Dispatcher);
        foreach (var seconds in DispatchSeconds)
        {
            var id = (await ApiHost.ReportAsync(dispatcher, ApiHost.Report(staff.Station.Value, "P2")))["id"]!.GetValue<string>();
            stack.Clock.Advance(Duration.FromSeconds(seconds));
            using var dispatched = await dispatcher.PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
            Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);
            stack.Clock.Advance(Duration.FromMinutes(10));
        }
    }

    public async Task DisposeAsync()
    {
        await stack.DisposeAsync();
        await bus.DisposeAsync();
    }

    [Fact]
    public async Task Response_times_are_the_hand_computed_figures_with_the_zone_and_instants_they_cover()
    {
        var report = await Api.GetAsync(staff.As(staff.Chief), $"reports/response-times?{Query}&by=priority");

        var p2 = report["groups"]!.AsArray().Single(g => g!["key"]!.GetValue<string>() == "P2")!;
        Assert.Equal(12, p2["n"]!.GetValue<int>());
        Assert.Equal(("PT2M", "PT5M", "PT6M40S", "PT20S", "PT6M40S"),
            (p2["median"]!.GetValue<string>(), p2["p90"]!.GetValue<string>(), p2["p95"]!.GetValue<string>(), p2["min"]!.GetValue<string>(), p2["max"]!.GetValue<string>()));
        Assert.Equal((8, 4, 0.6667), (p2["met"]!.GetValue<int>(), p2["breached"]!.GetValue<int>(), p2["compliance"]!.GetValue<double>()));
        Assert.Equal([1, 1, 3, 3, 4], report["buckets"]!.AsArray().Select(b => b!["count"]!.GetValue<int>()));
        var coverage = report["coverage"]!;
        Assert.Equal(("Asia/Shanghai", "08:00", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z"),
            (coverage["timeZone"]!.GetValue<string>(), coverage["dayStartsAt"]!.GetValue<string>(), coverage["start"]!.GetValue<string>(), coverage["end"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_csv_parses_back_to_the_jsons_figures()
    {
        var chief = staff.As(staff.Chief);
        var json = await Api.GetAsync(chief, $"reports/response-times?{Query}&by=officer");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"reports/response-times?{Query}&by=officer");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await chief.SendAsync(request);
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var rows = Csv.Parse(csv);
        JsonNode?[] groups = [json["total"], .. json["groups"]!.AsArray()];
        Assert.Equal(groups.Length, rows.Count);
        foreach (var (row, group) in rows.Zip(groups))
        {
            Assert.Equal(group!["key"]!.GetValue<string>(), row["key"]);
            Assert.Equal(group["label"]!.GetValue<string>(), row["label"]);
            Assert.Equal(group["n"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture), row["n"]);
            Assert.Equal(group["median"]!.GetValue<string>(), row["median"]);
            Assert.Equal(group["p90"]!.GetValue<string>(), row["p90"]);
            Assert.Equal(group["compliance"]!.GetValue<double>(), double.Parse(row["compliance"], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task A_csv_asked_for_labels_or_in_chinese_has_a_row_people_read_above_the_machine_keys()
    {
        // Written here by hand from shared/notes/language.md (警情, 派出所 station, 警情类别, 级别, 时限, 责任人, 警组, 超时,
        // 升级, 签收, 按时, 按时率, 中位数, 第90百分位, 暂停计时, 到场已核验) and the plain words around them; the keys are the README's columns.
        string[] breachLabels = ["警情编号", "派出所", "警情类别", "级别", "时限", "时限到期（UTC）", "责任方", "责任人编号", "责任人", "警组", "超时时长", "仍在计时", "升级级别", "签收人", "签收时间（UTC）"];
        string[] breachKeys = ["incidentId", "station", "category", "priority", "clock", "deadline", "holderKind", "holderId", "holderName", "unit", "overdueBy", "stillRunning", "level", "acknowledgedBy", "acknowledgedAt"];
        string[] figureLabels = ["分组键", "分组", "完成数", "中位数", "第90百分位", "第95百分位", "最短", "最长", "按时", "超时", "按时率", "仍在计时", "当前超时", "签收用时中位数", "由里程碑推算", "样本过少",
            "中位数（原始计时，含暂停时间）", "第90百分位（原始计时）", "按时（原始计时）", "超时（原始计时）", "按时率（原始计时）", "暂停计时次数", "暂停时长",
            "到场数", "到场已核验", "核验占比", "到场已核验且按时", "按时率（到场已核验）"];
        var breaches = $"reports/breaches?station={staff.Station.Value}&from=2026-11-26&to=2026-11-26";

        var plain = await CsvLinesAsync(staff.As(staff.Chief), breaches);
        var labelled = await CsvLinesAsync(staff.As(staff.Chief), $"{breaches}&labels=zh-CN");
        // No ?labels=: Accept-Language asks for Chinese, and the (desk) group keeps its key beside its label.
        var ranking = await CsvLinesAsync(staff.As(staff.DutyOfficer), $"reports/ranking?{Query}&by=unit", acceptLanguage: "zh-CN");
        using var french = await staff.As(staff.Chief).SendAsync(CsvRequest($"{breaches}&labels=fr", null));

        Assert.Equal(breachKeys, plain[0].Split(','));
        Assert.Equal(breachLabels, labelled[0].Split(','));
        Assert.Equal(plain, labelled[1..]); // the machine keys and every figure as they were
        Assert.Equal(figureLabels, ranking[0].Split(','));
        var desk = Assert.Single(Csv.Parse(string.Concat(ranking[1..].Select(line => line + "\r\n"))), row => row["key"] == "(desk)");
        Assert.Equal("派警前（值班台）", desk["label"]);
        await Api.AssertProblemAsync(french, HttpStatusCode.BadRequest, "labels");
    }

    private static HttpRequestMessage CsvRequest(string path, string? acceptLanguage)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        if (acceptLanguage is not null)
        {
            request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(acceptLanguage));
        }

        return request;
    }

    /// <summary>The CSV's lines (the label rows hold no commas or quotes, so a line is a row there).</summary>
    private static async Task<string[]> CsvLinesAsync(HttpClient client, string path, string? acceptLanguage = null)
    {
        using var request = CsvRequest(path, acceptLanguage);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();
    }

    [Fact]
    public async Task The_ranking_and_breaches_say_who_held_the_phase()
    {
        var ranking = await Api.GetAsync(staff.As(staff.DutyOfficer), $"reports/ranking?{Query}&by=unit");
        var breaches = await Api.GetAsync(staff.As(staff.Chief), $"reports/breaches?station={staff.Station.Value}&from=2026-11-26&to=2026-11-26");

        // The dispatch phase is the desk's until a unit is dispatched: twelve dispatches, all held by the dispatcher.
        var desk = Assert.Single(ranking["ranked"]!.AsArray())!;
        Assert.Equal(("(desk)", 0.6667), (desk["key"]!.GetValue<string>(), desk["compliance"]!.GetValue<double>()));
        var dispatchBreaches = breaches["breaches"]!.AsArray().Where(b => b!["clock"]!.GetValue<string>() == "dispatch").ToList();
        Assert.Equal(["PT10S", "PT1M", "PT2M", "PT3M40S"], dispatchBreaches.Select(b => b!["overdueBy"]!.GetValue<string>()).Order());
        Assert.All(dispatchBreaches, b => Assert.Equal(staff.Dispatcher.Subject, b!["holder"]!["person"]!["id"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("dispatcher", HttpStatusCode.Forbidden)]
    [InlineData("officer", HttpStatusCode.Forbidden)]
    [InlineData("duty-officer", HttpStatusCode.OK)]
    [InlineData("chief", HttpStatusCode.OK)]
    [InlineData("other-chief", HttpStatusCode.Forbidden)]
    [InlineData("command-center", HttpStatusCode.OK)]
    [InlineData("auditor", HttpStatusCode.OK)]
    public async Task Who_may_read_a_stations_report(string who, HttpStatusCode expected)
    {
        var other = await stack.StaffAsync(ApiHost.NewStation());
        var client = who switch
        {
            "dispatcher" => staff.As(staff.Dispatcher),
            "officer" => staff.As(staff.Officer),
            "duty-officer" => staff.As(staff.DutyOfficer),
            "chief" => staff.As(staff.Chief),
            "other-chief" => other.As(other.Chief),
            "command-center" => stack.ClientAs("cc.person", GlobalRole.CommandCenter),
            _ => stack.ClientAs("auditor.person", GlobalRole.Auditor),
        };

        using var response = await client.GetAsync($"reports/response-times?{Query}");

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("station=all&from=2026-11-26&to=2026-11-26", HttpStatusCode.Forbidden, null)]
    [InlineData("from=2026-11-26&to=2026-11-26", HttpStatusCode.BadRequest, "station")]
    [InlineData("station=S&to=2026-11-26", HttpStatusCode.BadRequest, "from")]
    [InlineData("station=S&from=2026-11-27&to=2026-11-26", HttpStatusCode.BadRequest, "to")]
    [InlineData("station=S&from=2026-01-01&to=2027-06-01", HttpStatusCode.BadRequest, "to")]
    [InlineData("station=S&from=26/11/2026&to=2026-11-26", HttpStatusCode.BadRequest, "from")]
    [InlineData("station=S&from=2026-11-26&to=2026-11-26&clock=speed", HttpStatusCode.BadRequest, "clock")]
    [InlineData("station=S&from=2026-11-26&to=2026-11-26&by=colour", HttpStatusCode.BadRequest, "by")]
    [InlineData("station=S&from=2026-11-26&to=2026-11-26&by=unit,zone", HttpStatusCode.BadRequest, "by")]
    [InlineData("station=S&from=2026-11-26&to=2026-11-26&by=%20unit", HttpStatusCode.BadRequest, "by")]
    public async Task A_bad_report_request_names_the_field(string query, HttpStatusCode expected, string? field)
    {
        using var response = await staff.As(staff.Chief).GetAsync($"reports/response-times?{query.Replace("station=S", $"station={staff.Station.Value}", StringComparison.Ordinal)}");

        var problem = await Api.AssertProblemAsync(response, expected);
        if (field is not null)
        {
            Assert.NotNull(problem["errors"]![field]);
        }
    }

    [Fact]
    public async Task At_the_day_boundary_the_chief_gets_each_station_day_once_even_when_the_timer_runs_again()
    {
        stack.Clock.Reset(Instant.FromUtc(2026, 11, 27, 0, 0, 30)); // 08:00:30 in Shanghai: the 26th has ended
        await ShiftReport().Run(new TimerInfo(), CancellationToken.None);
        await ShiftReport().Run(new TimerInfo(), CancellationToken.None); // as after a restart

        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var receiver = client.CreateReceiver("escalations", "chief", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        var messages = await ReceiveAsync(receiver, 1);

        // The station was set up on the 26th (08:00 UTC, 16:00 in Shanghai): the 24th and 25th, within the
        // three days of catch-up, were before it had anything and get no report.
        var station = staff.Station.Value;
        Assert.Equal([$"{station}:report:2026-11-26"], messages.Select(m => m.MessageId));
        Assert.All(messages, m => Assert.Equal(("report", "chief"), ((string)m.ApplicationProperties["kind"], (string)m.ApplicationProperties["audience"])));
        var day = ShiftReportMessage.Parse(messages.Single(m => m.MessageId.EndsWith("2026-11-26", StringComparison.Ordinal)).Body.ToMemory().Span);
        Assert.Equal(12, day.Reported);
        Assert.Equal(0.6667, day.Clocks.Single(c => c.Clock == "dispatch").Compliance);
        Assert.Equal(4, day.Breaches.Count(b => b.Clock == "dispatch"));
        Assert.Contains($"station={station}&from=2026-11-26&to=2026-11-26", day.Url, StringComparison.Ordinal);
        Assert.Empty(await receiver.ReceiveMessagesAsync(20, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task A_station_set_up_today_gets_no_reports_for_the_days_before_it_existed_and_its_first_day_once_it_ends()
    {
        // The 28th, 10:00 in Shanghai (the day runs from 08:00): a new station gets its roster. The older one
        // (set up on the 26th, see InitializeAsync) is owed the 26th and 27th; the new one nothing yet.
        stack.Clock.Reset(Instant.FromUtc(2026, 11, 28, 2, 0));
        var fresh = await stack.StaffAsync(ApiHost.NewStation());
        // After a restart the app meets the older station again: when it first had anything stays the 26th.
        await stack.StopAsync();
        await stack.RestartAsync();
        await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value));
        await ShiftReport().Run(new TimerInfo(), CancellationToken.None);
        await using var client = new ServiceBusClient(bus.ConnectionString);
        await using var receiver = client.CreateReceiver("escalations", "chief", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        var onTheDay = await ReceiveAsync(receiver, 2);

        stack.Clock.Reset(Instant.FromUtc(2026, 11, 29, 0, 0, 30)); // 08:00:30 on the 29th: the 28th has ended
        await ShiftReport().Run(new TimerInfo(), CancellationToken.None);
        var nextMorning = await ReceiveAsync(receiver, 2);

        string older = staff.Station.Value, young = fresh.Station.Value;
        Assert.Equal([$"{older}:report:2026-11-26", $"{older}:report:2026-11-27"], onTheDay.Select(m => m.MessageId).Order());
        Assert.Equal(new[] { $"{older}:report:2026-11-28", $"{young}:report:2026-11-28" }.Order(), nextMorning.Select(m => m.MessageId).Order());
        Assert.Empty(await receiver.ReceiveMessagesAsync(20, TimeSpan.FromMilliseconds(500)));
    }

    /// <summary>Waits for <paramref name="count"/> messages: a batch ends 20 ms after its first message, so on a loaded machine the rest come in later batches.</summary>
    private static async Task<List<ServiceBusReceivedMessage>> ReceiveAsync(ServiceBusReceiver receiver, int count)
    {
        var messages = new List<ServiceBusReceivedMessage>();
        while (messages.Count < count && await receiver.ReceiveMessagesAsync(20, TimeSpan.FromSeconds(10)) is { Count: > 0 } batch)
        {
            messages.AddRange(batch);
        }

        return messages;
    }

    private ShiftReportFunction ShiftReport() => ActivatorUtilities.CreateInstance<ShiftReportFunction>(stack.App.Services);
}
