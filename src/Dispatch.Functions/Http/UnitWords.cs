using Dispatch.Contracts;
using Dispatch.Core.Units;

namespace Dispatch.Functions.Http;

/// <summary>Units' own words as phrases: a reason the catalogues know is worded (<c>unit-reason.meal</c>), a person's own words stay theirs.</summary>
public static class UnitWords
{
    public static Phrase Reason(string reason) =>
        UnitNames.Reasons.Contains(reason, StringComparer.Ordinal) ? Phrase.Of($"unit-reason.{reason}") : Phrase.Verbatim(reason);
}
