namespace Dispatch.Core.Policy;

/// <summary>The languages Dispatch speaks: Simplified Chinese first (the people it is for), and English.</summary>
public enum Language { ZhCn, En }

/// <summary>
/// Languages by their BCP 47 tags: <c>zh-CN</c>, <c>en</c>. Read in any case; a tag with a region or script the
/// product has no words for reads as its language (<c>zh</c>, <c>zh-Hans</c>, <c>en-US</c>), as a browser's
/// preference or a terminal's <c>LANG</c> (<c>zh_CN.UTF-8</c>) names it.
/// </summary>
public static class LanguageNames
{
    private static readonly NameTable<Language> Names = new(StringComparison.OrdinalIgnoreCase, new Dictionary<Language, string>
    {
        [Language.ZhCn] = "zh-CN", [Language.En] = "en",
    });

    public static IEnumerable<string> All => Names.Names;

    public static string Tag(this Language language) => Names.Name(language);

    /// <summary>Exactly one of the tags (any case): what a policy or a setting must say.</summary>
    public static bool TryParse(string? text, out Language language) => Names.TryParse(text, out language);

    /// <summary>A tag or locale naming one of the languages at all: <c>zh-TW</c> and <c>zh_CN.UTF-8</c> are Chinese, <c>en-GB</c> English.</summary>
    public static bool TryMatch(string? text, out Language language)
    {
        var primary = (text ?? "").Split('-', '_', '.', '@')[0].Trim();
        language = primary.Equals("zh", StringComparison.OrdinalIgnoreCase) ? Language.ZhCn : Language.En;
        return primary.Equals("zh", StringComparison.OrdinalIgnoreCase) || primary.Equals("en", StringComparison.OrdinalIgnoreCase);
    }
}
