using System.Text.RegularExpressions;
using Dispatch.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Dispatch.Board.Tests;

/// <summary>
/// What the board says in one language, written out here by hand: English as the board has always read, Chinese
/// in the words of <c>shared/notes/language.md</c> (派警, 签收, 已超时 2分05秒…). Never read from the catalogue,
/// so a wrong word there fails a test.
/// </summary>
public sealed record Speech(
    string Locale, string Language, Regex RunningTwoMinutes, string Met, Regex OverdueOneMinute, Regex OverdueTwoMinutes, Regex MetSecondsLate,
    Func<int, int, string> MetLate, string Dispatch, string Arrived, string Acknowledge, string Cancel, string NotAcknowledged,
    Func<string, string> AcknowledgedBy, string NotAnswering, string Escalated, string Burglary, string MustNotBeEmpty,
    string Pause, string Resume, string PauseTheClock, Func<string, Regex> PausedForRoadClosedUntil, Candidates Units)
{
    public static readonly Speech English = new(
        "en-US", "en", new(@"^● 2:\d\d$"), "✓ met", new(@"^▲ −1:\d\d overdue$"), new(@"^▲ −2:\d\d overdue$"), new(@"^▲ 0:0\d late · ✓ met \d\d:\d\d:\d\d$"),
        (m, s) => $"▲ {m}:{s:00} late · ✓ met ", "Dispatch", "Arrived", "Acknowledge", "Cancel", "not acknowledged",
        name => $"ack {name}", "not answering", "escalated", "burglary", "Must not be empty.",
        "Pause", "Resume", "Pause the clock", local => new($@"^⏸ road closed · 0:\d\d · resumes by {local}$"),
        new(new(@"^available · 239 m · about 0\.6 min · position 0:\d\d old · inside the arrival window$"), new(@"^available · 1\.1 km · about 2\.9 min · "),
            new(@"^available · 1\.3 km · about 3\.5 min · position 3:\d\d old ▲ stale · "), new(@"^out of service · 337 m · about 0\.9 min · "),
            "Dispatch anyway", "dispatched", "out of service (meal)", "available", "▲ stale", new(@"^0:\d\d ago$")));

    public static readonly Speech Chinese = new(
        "zh-CN", "zh-CN", new(@"^● 剩余 2分\d\d秒$"), "✓ 按时", new(@"^▲ 已超时 1分\d\d秒$"), new(@"^▲ 已超时 2分\d\d秒$"), new(@"^▲ 超时 0分0\d秒 · ✓ 超时完成 \d\d:\d\d:\d\d$"),
        (m, s) => $"▲ 超时 {m}分{s:00}秒 · ✓ 超时完成 ", "派警", "到场", "签收", "撤销", "未签收",
        name => $"{name} 已签收", "没有应答", "升级", "入室盗窃", "不能为空。",
        "暂停计时", "恢复计时", "暂停计时", local => new($@"^⏸ 道路封闭 · 已暂停 0分\d\d秒 · {local} 前自动恢复$"),
        new(new(@"^待命 · 239米 · 预计 0\.6 分钟到达 · 定位于 0分\d\d秒 前 · 可在到场时限内到达$"), new(@"^待命 · 1\.1公里 · 预计 2\.9 分钟到达 · "),
            new(@"^待命 · 1\.3公里 · 预计 3\.5 分钟到达 · 定位于 3分\d\d秒 前 ▲ 定位过期 · "), new(@"^暂停勤务 · 337米 · 预计 0\.9 分钟到达 · "),
            "强制派警", "已派警", "暂停勤务（就餐）", "待命", "▲ 定位过期", new(@"^0分\d\d秒前$")));
}

/// <summary>
/// The dispatch form's candidates and the unit panel (issue 27), as read: each candidate's line for the units
/// <see cref="BoardTests"/> places (patrol-1 at the Bell Tower, patrol-2 at the South Gate, patrol-4 at the Beilin
/// Museum with a 3-minute-old position, patrol-3 out of service at the Drum Tower), and the panel's words.
/// </summary>
public sealed record Candidates(
    Regex BellTower, Regex SouthGate, Regex StaleMuseum, Regex OutOfServiceDrumTower, string DispatchAnyway, string Dispatched, string OutOfServiceMeal,
    string Available, string Stale, Regex FreshPositionAge);

[Collection(BoardFixture.Name)]
public sealed class EnglishBoardTests(BoardFixture fixture, ITestOutputHelper output) : BoardTests(fixture, output)
{
    protected override Speech Says => Speech.English;

    protected override IBrowser Browser => Fixture.Browser;
}

/// <summary>The same flow in a Chromium started with <c>--lang=zh-CN</c>: the board speaks Chinese without being asked.</summary>
[Collection(BoardFixture.Name)]
public sealed class ChineseBoardTests(BoardFixture fixture, ITestOutputHelper output) : BoardTests(fixture, output)
{
    protected override Speech Says => Speech.Chinese;

    protected override IBrowser Browser => Fixture.ChineseBrowser;

    [Fact]
    public async Task A_link_with_lang_wins_a_choice_made_on_the_page_is_remembered_and_headings_follow()
    {
        await using var stack = await LiveApi.StartAsync(Fixture);
        var staff = await stack.Host.StaffAsync(ApiHost.NewStation());
        var page = await stack.OpenAsync(Fixture.ChineseBrowser, staff.Chief, "?lang=en", locale: "zh-CN");
        var englishHeading = await page.Locator("h1").TextContentAsync();
        var englishLang = await page.Locator("html").GetAttributeAsync("lang");

        await page.SelectOptionAsync("#language", "zh-CN");
        await Expect(page.Locator("h1")).ToHaveTextAsync("警情看板");
        await page.ReloadAsync(); // no ?lang= any more: the choice made on the page
        await Expect(page.Locator("#who")).ToContainTextAsync(staff.Chief.Name);
        var remembered = await page.Locator("h1").TextContentAsync();
        await page.SelectOptionAsync("#language", "en");
        await page.ReloadAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync(staff.Chief.Name);

        Assert.Equal(("Dispatch board", "en"), (englishHeading, englishLang));
        Assert.Equal("警情看板", remembered);
        Assert.Equal("Dispatch board", await page.Locator("h1").TextContentAsync());
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
    }
}
