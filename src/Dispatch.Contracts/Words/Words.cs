using System.Globalization;
using System.Text;
using System.Text.Json;
using Dispatch.Core.Policy;

namespace Dispatch.Contracts;

/// <summary>
/// The words people read, from one catalogue per language (<c>Words/en.json</c>, <c>Words/zh-CN.json</c>): the board,
/// the API's problem texts, the escalation and shift-report summaries, the chief's desk and the demo all word things
/// from here, so each thing has one word everywhere. A text is a key and named arguments: <c>{name}</c>, or
/// <c>{name:00}</c> for a number written with at least that many digits. The board reads the same files.
/// </summary>
/// <remarks>Adding a word is one line in each catalogue; the catalogue test checks that both have it, with the same placeholders.</remarks>
public sealed class Words
{
    private static readonly Dictionary<Language, Words> Loaded = Enum.GetValues<Language>().ToDictionary(l => l, l => new Words(l, Load(l)));

    private readonly IReadOnlyDictionary<string, string> texts;

    private Words(Language language, IReadOnlyDictionary<string, string> texts)
    {
        Language = language;
        this.texts = texts;
    }

    public Language Language { get; }

    /// <summary>Every key and text of the language's catalogue.</summary>
    public IReadOnlyDictionary<string, string> Catalogue => texts;

    public static Words For(Language language) => Loaded[language];

    /// <summary>The catalogue file as it is stored, for the board, which reads it as JSON.</summary>
    public static Stream OpenCatalogue(Language language) =>
        typeof(Words).Assembly.GetManifestResourceStream($"words/{language.Tag()}.json")
        ?? throw new InvalidOperationException($"The catalogue words/{language.Tag()}.json is not embedded in Dispatch.Contracts.");

    public bool Has(string key) => texts.ContainsKey(key);

    /// <summary>The text of <paramref name="key"/> with its placeholders filled; a missing key is a bug, not a blank.</summary>
    public string this[string key, params (string Name, object? Value)[] arguments] => Format(key, arguments);

    public string Format(string key, IReadOnlyList<(string Name, object? Value)> arguments)
    {
        if (!texts.TryGetValue(key, out var template))
        {
            throw new KeyNotFoundException($"The {Language.Tag()} catalogue has no '{key}'.");
        }

        return Fill(template, arguments);
    }

    /// <summary>The word for a wire value of a family (<c>status</c>, <c>category</c>, …); the value itself when the catalogue has none (a category a person typed).</summary>
    public string Word(string family, string value) => texts.TryGetValue($"{family}.{value}", out var word) ? word : value;

    /// <summary>A list the way the language joins one: <c>a, b</c> / <c>a、b</c>.</summary>
    public string List(IEnumerable<string> items) => string.Join(texts["list.separator"], items);

    /// <summary>A list of alternatives: <c>a or b</c> / <c>a或b</c>.</summary>
    public string Alternatives(IEnumerable<string> items) => string.Join(texts["list.or"], items);

    /// <summary>How long, the way a clock on a screen shows it: <c>2:05</c> / <c>2分05秒</c>, with hours when there are any.</summary>
    public string Duration(TimeSpan duration)
    {
        var total = (long)Math.Floor(Math.Abs(duration.TotalSeconds));
        var (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
        return h > 0 ? this["duration.h", ("h", h), ("m", m), ("s", s)] : this["duration.m", ("m", m), ("s", s)];
    }

    /// <summary>How long, in a sentence: <c>2m5s</c> / <c>2分05秒</c>.</summary>
    public string Prose(TimeSpan duration)
    {
        var total = (long)Math.Floor(Math.Abs(duration.TotalSeconds));
        var (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
        return h > 0 ? this["duration.prose.h", ("h", h), ("m", m)]
            : m > 0 ? this["duration.prose.m", ("m", m), ("s", s)]
            : this["duration.prose.s", ("s", s)];
    }

    /// <summary>A date in a sentence: <c>2026-11-26</c> / <c>2026年11月26日</c>.</summary>
    public string Date(DateOnly date) => this["date.prose", ("y", date.Year), ("m", date.Month), ("d", date.Day)];

    /// <summary>A fraction as a whole percentage, <c>85%</c>: both languages write it so (the app runs culture-invariant).</summary>
    public static string Percent(double fraction) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Round(fraction * 100, MidpointRounding.AwayFromZero):0}%");

    private string Fill(string template, IReadOnlyList<(string Name, object? Value)> arguments)
    {
        var text = new StringBuilder(template.Length + 32);
        for (var i = 0; i < template.Length; i++)
        {
            var close = template[i] == '{' ? template.IndexOf('}', i) : -1;
            if (close < 0)
            {
                text.Append(template[i]);
                continue;
            }

            var placeholder = template[(i + 1)..close].Split(':', 2);
            var found = false;
            foreach (var (name, value) in arguments)
            {
                if (name == placeholder[0])
                {
                    text.Append(Write(value, placeholder.Length > 1 ? placeholder[1].Length : 0));
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                throw new ArgumentException($"'{template}' ({Language.Tag()}) needs an argument '{placeholder[0]}'.", nameof(arguments));
            }

            i = close;
        }

        return text.ToString();
    }

    private string Write(object? value, int digits) => value switch
    {
        null => "",
        Phrase phrase => phrase.In(this),
        IEnumerable<Phrase> alternatives => Alternatives(alternatives.Select(p => p.In(this))),
        int or long when digits > 0 => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(new string('0', digits), CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static Dictionary<string, string> Load(Language language)
    {
        using var stream = OpenCatalogue(language);
        return JsonSerializer.Deserialize<Dictionary<string, string>>(stream)
            ?? throw new InvalidOperationException($"The catalogue words/{language.Tag()}.json is empty.");
    }
}

/// <summary>
/// A text to be worded in the reader's language when it is written: a catalogue key and its arguments (which may
/// be phrases themselves), or text that is already words (<see cref="Verbatim"/>: a message from elsewhere).
/// </summary>
public sealed record Phrase(string Key, IReadOnlyList<(string Name, object? Value)> Arguments)
{
    private string? verbatim;

    public static Phrase Of(string key, params (string Name, object? Value)[] arguments) => new(key, arguments);

    /// <summary>Text that is the same in every language (a dependency's own message, a value echoed back).</summary>
    public static Phrase Verbatim(string text) => new("", []) { verbatim = text };

    public string In(Words words) => verbatim ?? words.Format(Key, Arguments);

    public string In(Language language) => In(Words.For(language));
}
