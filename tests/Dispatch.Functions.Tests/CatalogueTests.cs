using System.Text;
using System.Text.RegularExpressions;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Core.Units;
using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>
/// The word catalogues (<c>src/Dispatch.Contracts/Words/*.json</c>) against each other and against the code that
/// reads them: every key in every language with the same placeholders, no key unused, and no text in the board's
/// page or script that does not come from them.
/// </summary>
public sealed partial class CatalogueTests
{
    private static readonly string Src = Path.Combine(RepoRoot.Path, "src");
    private static readonly string BoardFolder = Path.Combine(Src, "Dispatch.Functions", "Board");

    /// <summary>
    /// Keys looked up by a wire value (<c>word('status', i.status)</c>): each family must word exactly the values that
    /// exist, no more and no fewer. Categories are free text; these are the ones language.md names.
    /// </summary>
    private static readonly Dictionary<string, IReadOnlyCollection<string>> Families = new()
    {
        ["priority"] = [.. Enum.GetValues<Priority>().Select(v => v.Name())],
        ["priority-word"] = [.. Enum.GetValues<Priority>().Select(v => v.Name())],
        ["zone"] = [.. Enum.GetValues<Zone>().Select(v => v.Name())],
        ["channel"] = [.. Enum.GetValues<Channel>().Select(v => v.Name())],
        ["status"] = [.. Enum.GetValues<IncidentStatus>().Select(v => v.Name())],
        ["unit-status"] = [.. UnitNames.AllStatuses],
        ["unit-reason"] = [.. UnitNames.Reasons],
        ["clock"] = [.. Enum.GetValues<ClockKind>().Select(v => v.Name())],
        ["event"] = [.. Enum.GetValues<EventKind>().Select(v => v.Name())],
        ["action"] = [.. Enum.GetValues<IncidentAction>().Select(v => v.Name())],
        ["verb"] = [.. Enum.GetValues<IncidentAction>().Select(v => v.Name())],
        ["notice"] = [.. Enum.GetValues<NoticeKind>().Select(v => v.Name())],
        ["holder"] = ["dispatcher", "unit"],
        ["role"] = [.. RoleNames.StationRoles, .. Enum.GetValues<GlobalRole>().Select(r => r.Name())],
        ["audience"] = [.. AudienceNames.All],
        ["language"] = [.. LanguageNames.All],
        ["json"] = ["object", "array", "string", "number", "boolean", "null"],
        ["weekday"] = ["1", "2", "3", "4", "5", "6", "7"],
        // Pause reasons (issue 28) are the policy's; a station may add its own, worded by name. These are the standard ones.
        ["pause-reason"] = [.. PauseRules.StandardReasons],
        ["category"] = ["theft", "burglary", "fight", "traffic-accident", "noise", "lost-property", "homicide", "mass-incident", "fire-casualty"],
    };

    [Fact]
    public void Every_key_is_in_every_language_with_the_same_placeholders()
    {
        var english = Words.For(Language.En).Catalogue;
        var chinese = Words.For(Language.ZhCn).Catalogue;

        Assert.Empty(english.Keys.Except(chinese.Keys));
        Assert.Empty(chinese.Keys.Except(english.Keys));
        var differing = english.Keys.Where(k => !Placeholders(english[k]).SetEquals(Placeholders(chinese[k])))
            .Select(k => $"{k}: en {{{string.Join(",", Placeholders(english[k]))}}} zh-CN {{{string.Join(",", Placeholders(chinese[k]))}}}").ToList();
        Assert.Empty(differing);
        Assert.Empty(chinese.Where(e => e.Value.Length == 0).Select(e => e.Key));
    }

    [Fact]
    public void Chinese_texts_are_chinese()
    {
        // A key copied into zh-CN.json and left in English reads as English on a Chinese screen. Texts that are the
        // same in both by nature (language names, machine values, layouts of numbers) are listed here.
        string[] same = ["language.zh-CN", "language.en", "json.null", "board.button", "board.panel.title", "date.prose"];
        var english = Words.For(Language.En).Catalogue;
        var untranslated = Words.For(Language.ZhCn).Catalogue
            .Where(e => !same.Contains(e.Key) && !e.Key.StartsWith("duration.", StringComparison.Ordinal) && e.Value == english[e.Key] && Regex.IsMatch(e.Value, "[A-Za-z]{3}"))
            .Select(e => e.Key).ToList();
        Assert.Empty(untranslated);
    }

    [Fact]
    public void No_key_is_unused_and_every_family_words_exactly_the_values_that_exist()
    {
        var code = string.Join("\n", Directory.EnumerateFiles(Src, "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(BoardFolder, "*.js")).Concat(Directory.EnumerateFiles(BoardFolder, "*.html"))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        var quoted = QuotedLiteral().Matches(code).Select(m => m.Groups["text"].Value).ToHashSet(StringComparer.Ordinal);
        var keys = Words.For(Language.En).Catalogue.Keys.ToList();

        var unused = keys.Where(k => !Families.ContainsKey(Family(k)) && !quoted.Contains(k) && !UsedByPattern(k, quoted) && !Interpolated(k, quoted, code)).ToList();
        var familyGaps = Families.SelectMany(f =>
        {
            var worded = keys.Where(k => Family(k) == f.Key).Select(k => k[(f.Key.Length + 1)..]).ToHashSet(StringComparer.Ordinal);
            return f.Value.Except(worded).Select(v => $"{f.Key}.{v}: no word").Concat(worded.Except(f.Value).Select(v => $"{f.Key}.{v}: no such value"));
        }).ToList();

        Assert.Empty(unused);
        Assert.Empty(familyGaps);
    }

    [Fact]
    public void The_boards_page_holds_no_words_of_its_own()
    {
        var html = File.ReadAllText(Path.Combine(BoardFolder, "index.html"));
        var text = Regex.Replace(Regex.Replace(html, "<head>.*</head>", "", RegexOptions.Singleline), "<[^>]*>", " ");
        var attributes = Regex.Matches(html, @"\s(aria-label|title|placeholder|alt)=""[^""]*""").Select(m => m.Value.Trim()).ToList();

        Assert.DoesNotMatch("[A-Za-z\u4e00-\u9fff]", text); // marks such as ● ▲ ✓ are not words
        Assert.Empty(attributes); // data-t-aria-label fills them from the catalogue
    }

    [Fact]
    public void The_boards_script_holds_no_words_of_its_own()
    {
        var script = File.ReadAllText(Path.Combine(BoardFolder, "board.js"));

        var words = WordsIn(script);

        Assert.Empty(words.Except(MachineWords()));
    }

    [Fact]
    public void The_check_fails_on_a_new_hard_coded_word_in_the_script()
    {
        var script = File.ReadAllText(Path.Combine(BoardFolder, "board.js"));
        var withWord = script.Replace("el('empty').hidden = list.length > 0;", "el('empty').hidden = list.length > 0; el('empty').title = 'Reopen incident';", StringComparison.Ordinal);

        Assert.NotEqual(script, withWord);
        Assert.Equal(["Reopen"], WordsIn(withWord).Except(MachineWords()).Order(StringComparer.Ordinal));
    }

    /// <summary>Letter runs of two or more in the script's string literals and the fixed parts of its template literals; comments and code left out.</summary>
    private static HashSet<string> WordsIn(string script)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var literal in Literals(script))
        {
            foreach (Match word in Regex.Matches(literal, "[A-Za-z]{2,}"))
            {
                words.Add(word.Value);
            }
        }

        return words;
    }

    /// <summary>
    /// Words a script's literals may hold that nobody reads: catalogue keys and wire values, the page's ids and classes,
    /// and the web platform's own names (events, elements, headers, attributes, the Intl options).
    /// </summary>
    private static HashSet<string> MachineWords()
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        void AddWords(string text)
        {
            foreach (Match word in Regex.Matches(text, "[A-Za-z]{2,}"))
            {
                allowed.Add(word.Value);
            }
        }

        Words.For(Language.En).Catalogue.Keys.ToList().ForEach(AddWords);
        Families.Values.SelectMany(v => v).ToList().ForEach(AddWords);
        var html = File.ReadAllText(Path.Combine(BoardFolder, "index.html"));
        Regex.Matches(html, @"\s(id|class)=""([^""]*)""").Select(m => m.Groups[2].Value).ToList().ForEach(AddWords);
        Regex.Matches(File.ReadAllText(Path.Combine(BoardFolder, "board.css")), @"[.#]([a-z][a-z-]*)").Select(m => m.Groups[1].Value).ToList().ForEach(AddWords);
        AddWords("""
            api board incidents station status open pageSize stations me reports response times from to clock roster timeline config json words
            acknowledge level
            token lang wall priority overdue escalated dispatch arrival resolution
            GET POST Authorization Bearer Content Type application Accept Language If None Match ETag Server Time
            click change keydown submit input textarea select button label span div tr td ol li form time code
            type noValidate primary error selected soon acked esc where prio id progress actions label value tile alert
            aria hidden pressed data incident incidentId errorFor unit state
            Escape ArrowDown ArrowUp Enter
            en CA numeric digit hour minute second year month day hourCycle percent style
            dispatch token msal browser min js login microsoftonline sessionStorage signed out
            use strict no store main script nearest location reporterContact class for text true UTC
            queue sharing online thead th checked units position latitude longitude accuracy geo
            Idempotency Key col table section strong labelledby href
            """);
        return allowed;
    }

    private static IEnumerable<string> Literals(string script)
    {
        var i = 0;
        while (i < script.Length)
        {
            var c = script[i];
            if (c == '/' && i + 1 < script.Length && script[i + 1] == '/')
            {
                i = script.IndexOf('\n', i) is var end && end < 0 ? script.Length : end;
            }
            else if (c == '/' && i + 1 < script.Length && script[i + 1] == '*')
            {
                i = script.IndexOf("*/", i + 2, StringComparison.Ordinal) + 2;
            }
            else if (c is '\'' or '"' or '`')
            {
                var (text, next) = ReadString(script, i);
                yield return text;
                i = next;
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>A string from its opening quote; for a template literal, its fixed text only (what is inside <c>${…}</c> is code, read as such).</summary>
    private static (string Text, int Next) ReadString(string script, int start)
    {
        var quote = script[start];
        var text = new StringBuilder();
        var i = start + 1;
        while (i < script.Length && script[i] != quote)
        {
            if (script[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (quote == '`' && script[i] == '$' && i + 1 < script.Length && script[i + 1] == '{')
            {
                var depth = 1;
                var code = new StringBuilder();
                i += 2;
                while (i < script.Length && depth > 0)
                {
                    if (script[i] is '\'' or '"' or '`')
                    {
                        var (inner, next) = ReadString(script, i);
                        text.Append(' ').Append(inner).Append(' ');
                        i = next;
                        continue;
                    }

                    depth += script[i] == '{' ? 1 : script[i] == '}' ? -1 : 0;
                    i++;
                }

                continue;
            }

            text.Append(script[i]);
            i++;
        }

        return (text.ToString(), i + 1);
    }

    private static string Family(string key) => key.Contains('.', StringComparison.Ordinal) ? key[..key.IndexOf('.', StringComparison.Ordinal)] : key;

    /// <summary>Keys the code builds from a literal and a value: <c>problem.{type}.title</c>, <c>refusal.{code}</c>, <c>refusal.who.{action}</c>, <c>csv.{column}</c>.</summary>
    private static bool UsedByPattern(string key, HashSet<string> quoted)
    {
        var parts = key.Split('.');
        return (parts is ["problem", var type, "title"] && quoted.Contains(type))
            || (parts is ["refusal", var code] && quoted.Contains(code))
            || (parts is ["refusal", "who", var action] && Enum.GetValues<IncidentAction>().Select(v => v.Name()).Contains(action))
            || (parts is ["csv", var column] && quoted.Contains(column));
    }

    /// <summary>A key the code builds as <c>$"desk.reports.{column}"</c>: the prefix interpolated, the last part a literal of the code.</summary>
    private static bool Interpolated(string key, HashSet<string> quoted, string code)
    {
        var last = key.LastIndexOf('.');
        return last > 0 && quoted.Contains(key[(last + 1)..]) && code.Contains($"$\"{key[..(last + 1)]}{{", StringComparison.Ordinal);
    }

    private static HashSet<string> Placeholders(string text) =>
        Regex.Matches(text, @"\{(\w+)(?::0+)?\}").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("""(?<q>["'])(?<text>[A-Za-z0-9._-]+)\k<q>""")]
    private static partial Regex QuotedLiteral();
}
