namespace Dispatch.Bench;

/// <summary>How the bench says it could not measure something: one line, never a stack trace.</summary>
public static class Failures
{
    /// <summary>The first line of the error, and of its cause when that says more, with the kind of error.</summary>
    public static string Reason(Exception? e)
    {
        if (e is null)
        {
            return "an error that is not an exception";
        }

        var reason = FirstLine(e.Message);
        if (e.InnerException is { } inner && FirstLine(inner.Message) is { Length: > 0 } cause && !reason.Contains(cause, StringComparison.Ordinal))
        {
            reason += $": {cause}";
        }

        return $"{reason} [{e.GetType().Name}]";
    }

    /// <summary>The repository the bench was built in (the folder holding Dispatch.sln above its output), or null.</summary>
    public static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dispatch.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
