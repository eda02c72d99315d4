using Dispatch.Contracts;
using Dispatch.Core.Policy;
using NodaTime;
using NodaTime.Extensions;
using NodaTime.Testing;

namespace Dispatch.Chief.Tests;

public sealed class BoardTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 30, 0, TimeSpan.Zero);

    private static readonly Words English = Words.For(Language.En);

    private static EscalationMessage Escalation(string incident, string clock, int level, int deadlineMinutesAgo, string station = "s1") => new(
        incident, station, "theft", "P1", clock, "escalation", level, "chief", Now.AddMinutes(-deadlineMinutesAgo), Now.AddMinutes(-deadlineMinutesAgo),
        Now, "PT0S", "summary", $"http://x/api/incidents/{incident}");

    [Fact]
    public void Rows_show_the_most_overdue_first_and_acknowledged_ones_last()
    {
        var board = new Board();
        board.Add(Escalation("a", "dispatch", 2, 3), Now);
        board.Add(Escalation("b", "arrival", 2, 12), Now);
        board.Add(Escalation("c", "dispatch", 3, 20), Now);
        board.MarkAcknowledged("c", "chief");

        var rows = board.Rows(Now, station: null);

        Assert.Equal(["b", "a", "c"], rows.Select(r => r.Escalation.IncidentId));
        Assert.Equal(TimeSpan.FromMinutes(12), rows[0].Escalation.OverdueAt(Now));
        Assert.Equal("chief", rows[2].AcknowledgedBy);
    }

    [Fact]
    public void A_row_whose_clock_has_ended_shows_the_lateness_it_ended_with_and_never_counts_on_while_a_running_one_does()
    {
        var board = new Board();
        board.Add(Escalation("running", "dispatch", 2, 3), Now);
        board.Add(Escalation("ended", "dispatch", 2, 12), Now);
        board.MarkEnded("ended", "dispatch", new ClockEnd("met", Now.AddMinutes(-10), TimeSpan.FromMinutes(2)));
        var later = Now.AddHours(1);

        var rows = board.Rows(Now, station: null);
        var rowsLater = board.Rows(later, station: null);

        // Ended 2 minutes after its deadline: 2:00 late, whenever it is read. Running 3 minutes past its own: 3:00, an hour later 63:00.
        Assert.Equal(["running", "ended"], rows.Select(r => r.Escalation.IncidentId));
        Assert.Equal(["3:00", "2:00 late · met, ended"], rows.Select(r => r.Figure(Now, English)));
        Assert.Equal(["63:00", "2:00 late · met, ended"], rowsLater.Select(r => r.Figure(later, English)));
        // language.md: 超时 2分00秒 for "2 min 0 s late".
        Assert.Equal(["3分00秒", "超时 2分00秒 · 已完成"], rows.Select(r => r.Figure(Now, Words.For(Language.ZhCn))));
        Assert.Equal([("running", "dispatch")], board.Running());
    }

    [Fact]
    public void A_receive_error_shows_its_first_line_and_goes_once_the_desk_has_recovered()
    {
        // A desk started before the broker: each failed try reports the client's message, stack trace and all.
        var time = new Dispatch.Testing.ShiftedTime();
        var caption = new DeskCaption(time);
        caption.Error("Receive: Connection refused (127.0.0.1:5672)\n   at Azure.Messaging.ServiceBus.Amqp.AmqpConnectionScope.OpenReceiverLinkAsync(…)\n   at …");
        var whileFailing = caption.Markup(English);
        time.Shift = DeskCaption.ErrorShownFor; // no failed try since: the processor has connected
        var afterRecovery = caption.Markup(English);
        caption.Error("Receive: Connection refused (127.0.0.1:5672)");
        caption.Received();

        Assert.Equal("[red]Receive: Connection refused (127.0.0.1:5672)[/]", whileFailing);
        Assert.Equal("Waiting for escalations…", afterRecovery);
        Assert.Equal("Waiting for escalations…", caption.Markup(English));
        Assert.Equal("等待升级通知…", caption.Markup(Words.For(Language.ZhCn)));
    }

    [Fact]
    public void Shift_reports_show_each_stations_latest_day_and_a_late_resend_of_an_earlier_day_does_not_replace_it()
    {
        var board = new Board();
        board.AddReport(Report("s1", "2026-11-26"));
        board.AddReport(Report("s2", "2026-11-26"));
        board.AddReport(Report("s1", "2026-11-25"));
        board.AddReport(Report("s1", "2026-11-27"));

        Assert.Equal([("s1", "2026-11-27"), ("s2", "2026-11-26")], board.Reports(station: null).Select(r => (r.Station, r.Day)));
        Assert.Equal([("s2", "2026-11-26")], board.Reports("S2").Select(r => (r.Station, r.Day)));
    }

    private static ShiftReportMessage Report(string station, string day) => new(
        "report", station, day, "Asia/Shanghai", Now, Now.AddDays(1), 3, 2, 0, 1, [], [], [], 0, "summary", "http://x/api/reports");

    [Fact]
    public void A_higher_level_replaces_the_lower_one_for_the_same_clock()
    {
        var board = new Board();
        board.Add(Escalation("a", "dispatch", 2, 3), Now);
        board.Add(Escalation("a", "dispatch", 1, 3), Now);
        board.Add(Escalation("a", "dispatch", 3, 3), Now);
        board.Add(Escalation("a", "arrival", 1, 1), Now);

        var rows = board.Rows(Now, station: null);

        Assert.Equal(2, rows.Count);
        Assert.Equal(3, rows.Single(r => r.Escalation.Clock == "dispatch").Escalation.Level);
    }

    [Fact]
    public void A_station_filter_shows_only_that_station()
    {
        var board = new Board();
        board.Add(Escalation("a", "dispatch", 1, 1, "beilin-01"), Now);
        board.Add(Escalation("b", "dispatch", 1, 1, "yanta-02"), Now);

        Assert.Equal(["b"], board.Rows(Now, "YANTA-02").Select(r => r.Escalation.IncidentId));
    }

    [Fact]
    public async Task Options_come_from_the_command_line_then_the_environment()
    {
        var env = new Dictionary<string, string> { ["DISPATCH_API"] = "http://api:8080/api", ["DISPATCH_TOKEN"] = "t1" };

        var options = DeskOptions.Parse(["--station", "beilin-01", "--json"], name => env.GetValueOrDefault(name));

        Assert.Equal("http://api:8080/api/", options.Api);
        Assert.Equal("t1", options.Token);
        Assert.Equal("beilin-01", options.Station);
        Assert.True(options.Json);
        Assert.Equal("chief", options.Subscription);
        Assert.Equal(DeskOptions.LocalBroker, options.Connection);
        Assert.False(options.UsesIdentity);
        Assert.Equal("t1", await options.TokenSource("/nowhere", new FakeClock(Now.ToInstant()))(default));
        Assert.True(DeskOptions.Parse(["--connection", "dispatch-sb.servicebus.windows.net"], _ => null).UsesIdentity);
        Assert.Equal("zhang.wei", DeskOptions.Parse([], _ => null).Actor);
        Assert.Equal("sun.hao", DeskOptions.Parse(["--as", "sun.hao"], _ => null).Actor);
        Assert.Throws<ArgumentException>(() => DeskOptions.Parse(["--as", "not a name"], _ => null));
        Assert.Throws<ArgumentException>(() => DeskOptions.Parse(["--bogus"], _ => null));
        Assert.Throws<ArgumentException>(() => DeskOptions.Parse(["--api"], _ => null));
    }

    [Fact]
    public async Task Signing_in_as_a_name_mints_a_token_for_that_person_from_the_local_stacks_key()
    {
        var root = Directory.CreateTempSubdirectory("desk-").FullName;
        try
        {
            var token = await DeskOptions.Parse(["--as", "sun.hao"], _ => null).TokenSource(root, new FakeClock(Now.ToInstant()))(default);

            var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
            Assert.Equal(("sun.hao", "dispatch-local"), (jwt.GetClaim("sub").Value, jwt.Issuer));
            Assert.True(File.Exists(Path.Combine(root, ".dispatch", "signing-key.json")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
