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
    string Pause, string Resume, string PauseTheClock, Func<string, Regex> PausedForRoadClosedUntil)
{
    public static readonly Speech English = new(
        "en-US", "en", new(@"^● 2:\d\d$"), "✓ met", new(@"^▲ −1:\d\d overdue$"), new(@"^▲ −2:\d\d overdue$"), new(@"^▲ 0:0\d late · ✓ met \d\d:\d\d:\d\d$"),
        (m, s) => $"▲ {m}:{s:00} late · ✓ met ", "Dispatch", "Arrived", "Acknowledge", "Cancel", "not acknowledged",
        name => $"ack {name}", "not answering", "escalated", "burglary", "Must not be empty.",
        "Pause", "Resume", "Pause the clock", local => new($@"^⏸ road closed · 0:\d\d · resumes by {local}$"));

    public static readonly Speech Chinese = new(
        "zh-CN", "zh-CN", new(@"^● 剩余 2分\d\d秒$"), "✓ 按时", new(@"^▲ 已超时 1分\d\d秒$"), new(@"^▲ 已超时 2分\d\d秒$"), new(@"^▲ 超时 0分0\d秒 · ✓ 超时完成 \d\d:\d\d:\d\d$"),
        (m, s) => $"▲ 超时 {m}分{s:00}秒 · ✓ 超时完成 ", "派警", "到场", "签收", "撤销", "未签收",
        name => $"{name} 已签收", "没有应答", "升级", "入室盗窃", "不能为空。",
        "暂停计时", "恢复计时", "暂停计时", local => new($@"^⏸ 道路封闭 · 已暂停 0分\d\d秒 · {local} 前自动恢复$"));
}

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
