using System.Diagnostics;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Http;
using Microsoft.AspNetCore.Http;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Identity;

/// <summary>
/// Decides who is calling, once per request, in the one place both hosts pass: the Functions worker
/// middleware in Azure and <c>func start</c>, and the local host's own dispatcher. A request without a valid
/// token gets 401 (RFC 6750, problem+json) and is audited; a valid one becomes an <see cref="ApiCall"/>
/// with the person's roster memberships.
/// </summary>
public sealed class RequestPipeline(
    TokenValidator tokens, IRosterStore roster, RefusalLedger refusals, IClock clock, IOptions<DispatchSettings> settings, Operations.DispatchMetrics metrics, ILogger<RequestPipeline> logger)
{
    /// <returns>The verified call, or null when the response (401 or 503) has been written.</returns>
    public async Task<ApiCall?> AuthenticateAsync(HttpContext http, string function)
    {
        var check = await tokens.ValidateAsync(http.Request.Headers.Authorization.ToString());
        var info = new RequestInfo(Guid.NewGuid().ToString("N"), function, http.Connection.RemoteIpAddress?.ToString(), CorrelationId(http));
        if (check.Person is null)
        {
            // One audit record per source and minute, with the count, and a limit: refused tokens must not drive writes (issue 23).
            var (limited, retryAfter) = await refusals.RefuseAsync(info.ClientAddress, info, check.Problem!);
            metrics.Request(function, limited ? 429 : 401, clock.GetCurrentInstant());
            Log.Unauthenticated(logger, function, check.Error ?? "none");
            if (limited)
            {
                await Problem.TooManyRequests(retryAfter).WriteAsync(http);
                return null;
            }

            var challenge = check.Error is { Length: > 0 } error ? $"Bearer error=\"{error}\", error_description=\"{check.Problem}\"" : "Bearer";
            await Problem.Unauthorized(check.Problem!).WithHeader("WWW-Authenticate", challenge).WriteAsync(http);
            return null;
        }

        await refusals.FlushAsync();
        IReadOnlyList<Membership> memberships;
        var budget = settings.Value.RequestBudgetTime;
        var deadline = RequestDeadline.Of(http, budget);
        try
        {
            memberships = await roster.MembershipsOfAsync(check.Person.Subject, deadline);
        }
        catch (StorageUnavailableException e)
        {
            Log.StorageUnavailable(logger, http.Request.Method, http.Request.Path, e.Message);
            await Problem.Unavailable(e.Message).WriteAsync(http);
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            Log.OverBudget(logger, http.Request.Method, http.Request.Path, budget);
            await Problem.Unavailable($"Storage did not answer within the request's {budget.TotalSeconds:0.#} s budget while reading the caller's roster; nothing was changed.").WriteAsync(http);
            return null;
        }

        return new ApiCall(new Caller(check.Person, check.Roles, memberships), info, clock.GetCurrentInstant());
    }

    private static string CorrelationId(HttpContext http) => Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
}
