using Microsoft.AspNetCore.Http;

namespace Dispatch.Functions.Http;

/// <summary>
/// Who is making a request, from the X-Actor header until role-based access arrives. It is written to
/// the timeline of every change, so every officer is held to account.
/// </summary>
public static class Actor
{
    public const string Header = "X-Actor";
    public const string Anonymous = "anonymous";
    private const int MaxLength = 100;

    public static bool TryRead(HttpRequest request, out string actor, out ApiResult? failure)
    {
        failure = null;
        var value = request.Headers[Header].ToString().Trim();
        if (value.Length == 0)
        {
            actor = Anonymous;
            return true;
        }

        if (value.Length > MaxLength || value.Any(char.IsControl))
        {
            actor = "";
            failure = Problem.Field(Header, $"Must be at most {MaxLength} printable characters.");
            return false;
        }

        actor = value;
        return true;
    }
}
