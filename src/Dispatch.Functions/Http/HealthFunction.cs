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

/// <summary>
/// Whether the system keeps its promises, for operators (admin, auditor, command center): 503 with the reasons
/// when the sweep has not completed for three intervals, the outbox's oldest notice is too old, a dependency is
/// down, an escalation is dead-lettered or nobody reads the chief's or the command center's subscription.
/// </summary>
public sealed class HealthDetailFunction(Operations.OperationsService operations, Endpoint endpoint)
{
    [Function("HealthDetail")]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/detail")] HttpRequest request) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            call.Change = "read operations health";
            if (!Dispatch.Core.Identity.AccessPolicy.CanReadOperations(call.Caller))
            {
                throw new Dispatch.Core.Identity.ForbiddenException("Only admins, auditors and the command center may read the detailed health.");
            }

            var detail = await operations.DetailAsync(ct);
            var result = new ApiResult(detail.Healthy ? 200 : 503, HealthDetailResource.From(detail));
            return detail.Healthy ? result : result.WithHeader("Retry-After", "5");
        });
}

public sealed record HealthDetailResource(
    string Status, IReadOnlyList<string> Problems, NodaTime.Instant Now, object Storage, object ServiceBus, object Sweep, object Outbox,
    IReadOnlyList<object> Dependencies, IReadOnlyList<object> RequestsLastMinute)
{
    public static HealthDetailResource From(Operations.HealthDetail d) => new(
        d.Healthy ? "healthy" : "unhealthy", d.Problems, d.Now,
        new { answers = d.StorageAnswers, problem = d.StorageProblem },
        new
        {
            answers = d.ServiceBusAnswers,
            problem = d.ServiceBusProblem,
            subscriptions = d.Subscriptions.Select(s => new { name = s.Name, deadLettered = s.DeadLettered, oldestUnread = Iso(s.OldestUnread), problem = s.Problem }).ToList(),
        },
        new
        {
            lastCompletedAt = d.LastSweep?.CompletedAt,
            age = Iso(d.SweepAge),
            maxAge = Iso(d.SweepMaxAge),
            result = d.LastSweep?.Result,
            entries = d.LastSweep?.Entries,
            changed = d.LastSweep?.Changed,
            notices = d.LastSweep?.Notices,
            conflicts = d.LastSweep?.Conflicts,
            seconds = d.LastSweep?.Seconds,
        },
        new { backlog = d.OutboxBacklog, oldestAge = Iso(d.OutboxOldest), maxAge = Iso(d.OutboxMaxAge) },
        [.. d.Dependencies.Select(x => (object)new { name = x.Name, up = x.Up, since = x.Since, failedCalls = x.FailedCalls, inFlight = x.InFlight, lastError = x.LastError })],
        [.. d.RequestsLastMinute.Select(r => (object)new { function = r.Function, status = r.Status, count = r.Count })]);

    private static string? Iso(NodaTime.Duration? duration) => duration is { } value ? Dispatch.Core.IsoDuration.Format(value) : null;
}

