using Dispatch.Contracts;
using Dispatch.Core.Policy;
using Spectre.Console;

namespace Dispatch.Chief.Tests;

/// <summary>The desk's board as a terminal shows it: with Chinese words in it, its columns still line up.</summary>
public sealed class DeskColumnsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 30, 0, TimeSpan.Zero);

    [Fact]
    public void With_chinese_names_and_categories_every_column_boundary_is_at_the_same_display_column_on_every_line()
    {
        var board = new Board();
        board.Add(Escalation("beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A01", "theft", "【升级】一级 盗窃，钟楼：派警已超时 3分00秒，已逐级上报至第2级", 3), Now);
        board.Add(Escalation("beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A02", "电动车被盗", "【升级】二级 电动车被盗，碑林博物馆：到场已超时 12分00秒，已逐级上报至第2级", 12), Now);
        board.Add(Escalation("beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A03", "noise", "summary in English", 1), Now);
        board.MarkAcknowledged("beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A03", "张伟");
        var options = DeskOptions.Parse(["--station", "beilin-01"], _ => null);

        var lines = Rendered(BoardDesk.Escalations(board, Now, options, TimeZoneInfo.Utc, Words.For(Language.ZhCn), "等待升级通知…"), width: 220);

        var rows = lines.Where(l => l.Contains('│', StringComparison.Ordinal)).ToList();
        var boundaries = rows.Select(l => Boundaries(l, DisplayWidth)).Distinct().ToList();
        Assert.True(rows.Count >= 4, string.Join("\n", lines)); // the header and three rows (a long summary may wrap onto a second line)
        Assert.Single(boundaries);
        // The same boundaries counted in chars (string.Length) differ between rows with Chinese text and rows without: what the test guards.
        Assert.True(rows.Select(l => Boundaries(l, text => text.Length)).Distinct().Count() > 1);
        Assert.Contains(rows, r => r.Contains("盗窃", StringComparison.Ordinal) && r.Contains("一级", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("（张伟 已签收）", StringComparison.Ordinal));
    }

    [Fact]
    public void A_long_pause_has_a_row_of_its_own_that_counts_past_the_limit_is_never_overdue_and_ends_with_its_clock()
    {
        // A warning of the dispatch clock (deadline 5 min ahead), then the chief told at 08:27 that the same clock is still
        // paused past the limit. Its message's deadline (08:20, before the pause) has passed, but the pause moved it on.
        var board = new Board();
        const string id = "beilin-01.01KB0Y4M2Q8R6T1V3W5X7Z9A04";
        board.Add(Escalation(id, "theft", "warning", -5) with { Kind = "warning", Level = 1, BreachedAt = null }, Now);
        board.Add(Escalation(id, "theft", "【暂停超时】…", 10) with { Kind = "long-pause", Level = 1, BreachedAt = null, EscalatedAt = Now.AddMinutes(-3) }, Now);
        var options = DeskOptions.Parse(["--station", "beilin-01"], _ => null);

        var rows = board.Rows(Now, station: null);
        var chinese = Rendered(BoardDesk.Escalations(board, Now, options, TimeZoneInfo.Utc, Words.For(Language.ZhCn), "等待升级通知…"), width: 220);
        var running = board.Running();
        var (figure, later) = (rows[1].Figure(Now, Words.For(Language.En)), rows[1].Figure(Now.AddMinutes(1), Words.For(Language.En)));
        board.MarkEnded(id, "dispatch", new ClockEnd("met", Now, TimeSpan.Zero));

        Assert.Equal(["warning", "long-pause"], rows.Select(r => r.Escalation.Kind)); // neither overdue; the newer first
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero], rows.Select(r => r.OverdueAt(Now)));
        // 3 minutes since the chief was told, and counting; words written here by hand (language.md: 暂停计时, 2分05秒).
        Assert.Equal(("⏸ 3:00 past the pause limit", "⏸ 4:00 past the pause limit"), (figure, later));
        Assert.Contains(chinese, l => l.Contains("⏸ 超过暂停时限 3分00秒", StringComparison.Ordinal) && l.Contains("暂停超时", StringComparison.Ordinal)
            && l.Contains("暂停计时中，顺延", StringComparison.Ordinal));
        Assert.Equal([(id, "dispatch")], running);
        Assert.All(board.Rows(Now, station: null), r => Assert.NotNull(r.Ended)); // the clock met: both its rows end
    }

    private static EscalationMessage Escalation(string incident, string category, string summary, int minutesAgo) => new(
        incident, "beilin-01", category, "P1", "dispatch", "escalation", 2, "chief", Now.AddMinutes(-minutesAgo), Now.AddMinutes(-minutesAgo),
        Now, "PT0S", summary, $"http://x/api/incidents/{incident}");

    private static List<string> Rendered(Table table, int width)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Write(table);
        return [.. output.ToString().Split('\n').Select(l => l.TrimEnd('\r'))];
    }

    /// <summary>Where each '│' stands, in terminal columns as counted by <paramref name="width"/>.</summary>
    private static string Boundaries(string line, Func<string, int> width) =>
        string.Join(",", line.Select((c, i) => (c, i)).Where(x => x.c == '│').Select(x => width(line[..x.i])));

    /// <summary>
    /// Terminal columns by Unicode's East Asian Width (UAX #11): Wide and Fullwidth characters take two — the CJK
    /// blocks, CJK punctuation and fullwidth forms used here (U+3000-U+303F, U+4E00-U+9FFF, U+FF01-U+FF60); everything
    /// else here takes one.
    /// </summary>
    private static int DisplayWidth(string text) =>
        text.Sum(c => c is >= '\u3000' and <= '\u303F' or >= '\u4E00' and <= '\u9FFF' or >= '\uFF01' and <= '\uFF60' ? 2 : 1);
}
