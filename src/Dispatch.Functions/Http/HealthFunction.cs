using Dispatch.Core.Incidents;
using Dispatch.Functions.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Dispatch.Functions.Http;

/// <summary>
/// 200 when storage answers within 2 seconds, 503 otherwise. Anonymous, so load balancers can probe it
/// without a token; it reveals up or down and nothing else.
/// </summary>
public sealed class HealthFunction(IIncidentStore store, ILogger<HealthFunction> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Function("Health")]
    [Anonymous]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted);
        timeout.CancelAfter(Timeout);
        try
        {
            await store.CheckHealthAsync(timeout.Token);
            return new ApiResult(200, new { status = "healthy", storage = "ok" });
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException && !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The outage itself is logged by the dependency monitor; a probe a second must not add a line each.
            Log.HealthCheckFailed(logger, e.Message);
            return new ApiResult(503, new { status = "unhealthy", storage = "unavailable" }).WithHeader("Retry-After", "5");
        }
    }
}
