using Dispatch.Contracts;

namespace Dispatch.Functions.Http;

/// <summary>The domain's refusals in the caller's words: each carries a stable code and its arguments, worded from the catalogue's <c>refusal.*</c>.</summary>
public static class Refusals
{
    /// <summary>The refusal as a phrase; an exception without a code keeps its own message.</summary>
    public static Phrase Worded(Exception refusal) => Phrase.Verbatim(refusal.Message);
}
