using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Audit;

/// <summary>Reading the audit trail: auditors only, and the reading is itself recorded.</summary>
public sealed class AuditService(IAuditTrail trail)
{
    public Task<AuditPage> QueryAsync(ApiCall call, StationId? station, string? subject, Instant from, Instant to, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        call.Station = station;
        call.Change = $"read audit trail{(subject is null ? "" : $" of {subject}")} {from:uuuu-MM-ddTHH:mm:ss'Z'}..{to:uuuu-MM-ddTHH:mm:ss'Z'}";
        if (!AccessPolicy.CanReadAudit(call.Caller))
        {
            throw new ForbiddenException("Only auditors may read the audit trail.") { Refusal = new("may-not-read-audit") };
        }

        return trail.QueryAsync(new AuditQuery(station, subject, from, to, pageSize, continuationToken), cancellationToken);
    }
}
