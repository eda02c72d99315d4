using Dispatch.Core.Incidents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Dispatch.Functions.Http;

/// <summary>Maps the domain's refusals to HTTP, the same way for every function.</summary>
public static class Endpoint
{
    public static async Task<IActionResult> RunAsync(HttpRequest request, ILogger logger, Func<Task<IActionResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (IncidentNotFoundException e)
        {
            return Problem.NotFound(e.Message);
        }
        catch (InvalidTransitionException e)
        {
            return Problem.Conflict(e.Message);
        }
        catch (PreconditionFailedException e)
        {
            return Problem.PreconditionFailed(e.Message).WithHeader("ETag", e.CurrentETag);
        }
        catch (InvalidContinuationTokenException e)
        {
            return Problem.Field("continuationToken", e.Message);
        }
        catch (StorageUnavailableException e)
        {
            Log.StorageUnavailable(logger, e, request.Method, request.Path);
            return Problem.Unavailable(e.Message);
        }
        catch (OperationCanceledException) when (request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return new ApiResult(499, null);
        }
        catch (Exception e)
        {
            var traceId = request.HttpContext.TraceIdentifier;
            Log.Unhandled(logger, e, request.Method, request.Path, traceId);
            return Problem.Internal(traceId);
        }
    }

    public static bool TryParseId(string id, out IncidentId incidentId, out ApiResult? failure)
    {
        failure = IncidentId.TryParse(id, out incidentId)
            ? null
            : Problem.Field("id", $"'{Truncate(id)}' is not an incident id (station code, a dot, and 26 letters and digits).");
        return failure is null;
    }

    public static string? IfMatch(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString().Trim();
        return value.Length == 0 ? null : value;
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
