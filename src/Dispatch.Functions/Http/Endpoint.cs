using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Identity;
using Dispatch.Functions.Settings;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Http;

/// <summary>
/// What every function shares: the request's time budget, the mapping of the domain's refusals to HTTP,
/// and the audit record of the decision, whatever it was (a change has committed its own already; an unchanged
/// poll, a 304, is counted into its hour's summary by <see cref="PollLedger"/>).
/// </summary>
public sealed class Endpoint(
    CallContext context, IAuditTrail audit, PollLedger polls, IOptions<DispatchSettings> settings, NodaTime.IClock clock, Operations.DispatchMetrics metrics, ILogger<Endpoint> logger)
{
    public async Task<IActionResult> RunAsync(HttpRequest request, Func<ApiCall, CancellationToken, Task<IActionResult>> handle)
    {
        var call = context.Call;
        var budget = settings.Value.RequestBudgetTime;
        // One span per call, named for the function; the table writes and the Service Bus send are its children.
        using var activity = Operations.Telemetry.Source.StartActivity($"Dispatch {call.Request.Function}", System.Diagnostics.ActivityKind.Server);
        activity?.SetTag("dispatch.function", call.Request.Function);
        var result = await HandleAsync(request, call, budget, handle, RequestDeadline.Of(request.HttpContext, budget));
        activity?.SetTag("http.response.status_code", result.Status);
        activity?.SetTag("dispatch.station", call.Station?.Value);
        metrics.Request(call.Request.Function, result.Status, clock.GetCurrentInstant());
        if (result.Status == 304)
        {
            // Nothing new was shown: counted into the person's hour at the station (PollLedger), not a record each.
            polls.Count(call);
        }
        else if (!call.AuditCommitted && result.Status != 499)
        {
            try
            {
                await audit.RecordAsync(call.Record(AuditOutcome.AnsweredWith(result.Status)), CancellationToken.None).WaitAsync(budget);
            }
            catch (Exception e) when (e is StorageUnavailableException or TimeoutException)
            {
                Log.AuditNotWritten(logger, e, call.Request.Function, result.Status);
            }
        }

        polls.FlushWhenDue();
        // The server's own time, for clients that count down to deadlines (the board corrects its clock by it).
        return result.WithHeader("X-Server-Time", NodaTime.Text.InstantPattern.ExtendedIso.Format(clock.GetCurrentInstant()));
    }

    private async Task<ApiResult> HandleAsync(
        HttpRequest request, ApiCall call, TimeSpan budget, Func<ApiCall, CancellationToken, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        try
        {
            return (ApiResult)await handle(call, cancellationToken);
        }
        catch (NotFoundException e)
        {
            return Problem.NotFound(Refusals.Worded(e));
        }
        catch (RosterConflictException e)
        {
            return Problem.RosterConflict(Refusals.Worded(e));
        }
        catch (ForbiddenException e)
        {
            return Problem.Forbidden(Refusals.Worded(e));
        }
        catch (StaleLevelException e)
        {
            return Problem.Stale(Refusals.Worded(e), e.CurrentLevel);
        }
        catch (Core.Units.UnitStateException e)
        {
            return Problem.UnitConflict(Refusals.Worded(e));
        }
        catch (InvalidTransitionException e)
        {
            return Problem.Conflict(Refusals.Worded(e));
        }
        catch (PreconditionFailedException e)
        {
            return Problem.PreconditionFailed(Refusals.Worded(e)).WithHeader("ETag", e.CurrentETag);
        }
        catch (FieldRefusedException e)
        {
            return Problem.Refused(e.Field, Refusals.Worded(e));
        }
        catch (InvalidContinuationTokenException)
        {
            return Problem.Field("continuationToken", Phrase.Of("field.continuation-token"));
        }
        catch (StorageUnavailableException e)
        {
            // The outage itself is logged once by the dependency monitor, not once per request.
            Log.StorageUnavailable(logger, request.Method, request.Path, e.Message);
            return Problem.Unavailable(e.Message);
        }
        catch (OperationCanceledException) when (request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return new ApiResult(499, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.OverBudget(logger, request.Method, request.Path, budget);
            return Problem.Unavailable(Phrase.Of("problem.over-budget.detail", ("seconds", budget.TotalSeconds)));
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
            : Problem.Field("id", Phrase.Of("field.incident-id", ("id", Truncate(id))));
        return failure is null;
    }

    public static string? IfMatch(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString().Trim();
        return value.Length == 0 ? null : value;
    }

    public static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
