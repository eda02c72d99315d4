using Microsoft.AspNetCore.Http;

namespace Dispatch.Functions.Http;

/// <summary>
/// A request's time budget, from the moment the request pipeline first sees it (before the caller's roster is
/// read) to its answer: one deadline per request, shared by every step, so the budget is end to end.
/// </summary>
public static class RequestDeadline
{
    private static readonly object Key = new();

    /// <summary>The request's deadline token, started on first use and cancelled when the budget runs out or the client goes away.</summary>
    public static CancellationToken Of(HttpContext http, TimeSpan budget)
    {
        if (http.Items.TryGetValue(Key, out var existing) && existing is CancellationTokenSource started)
        {
            return started.Token;
        }

        var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(budget);
        http.Response.RegisterForDispose(deadline);
        http.Items[Key] = deadline;
        return deadline.Token;
    }
}
