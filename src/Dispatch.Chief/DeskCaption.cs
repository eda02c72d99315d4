using Spectre.Console;

namespace Dispatch.Chief;

/// <summary>
/// The line under the desk's board: the last receive error while it is fresh, else the last status. The
/// processor retries on its own and reports every failed try, so an error older than <see cref="ErrorShownFor"/>
/// is one it has recovered from (typically a desk started before the broker was listening).
/// </summary>
public sealed class DeskCaption(TimeProvider time)
{
    public static readonly TimeSpan ErrorShownFor = TimeSpan.FromSeconds(30);

    private (string Text, DateTimeOffset At)? error;

    /// <summary>Spectre markup; until something happens, that the desk is waiting (in the desk's words).</summary>
    public string? Status { get; set; }

    /// <summary>Keeps its first line only: the client's messages carry a stack trace that would push every row off the screen.</summary>
    public void Error(string message) => error = (message.Split('\n', 2)[0].Trim(), time.GetUtcNow());

    /// <summary>A message came in: receiving works.</summary>
    public void Received() => error = null;

    public string Markup(Dispatch.Contracts.Words words) =>
        error is { } e && time.GetUtcNow() - e.At < ErrorShownFor ? $"[red]{Spectre.Console.Markup.Escape(e.Text)}[/]" : Status ?? words["desk.waiting"];
}
