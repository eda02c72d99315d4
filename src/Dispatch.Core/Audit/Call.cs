using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Audit;

/// <summary>Where a request came from, for its audit record.</summary>
/// <param name="Id">Unique per request: the audit record's id.</param>
/// <param name="Function">The function called (e.g. <c>DispatchIncident</c>).</param>
public sealed record RequestInfo(string Id, string Function, string? ClientAddress, string CorrelationId);

/// <summary>
/// One request by one verified caller. The use case fills in what the audit record will say as it learns it
/// (station, incident, change); a change commits its record itself and marks it so.
/// </summary>
public sealed class ApiCall(Caller caller, RequestInfo request, Instant at)
{
    public Caller Caller => caller;

    public Person Person => caller.Person;

    public RequestInfo Request => request;

    /// <summary>When the request arrived (server time): the instant its audit record carries.</summary>
    public Instant At => at;

    public StationId? Station { get; set; }

    public IncidentId? Incident { get; set; }

    /// <summary>What the request asked to change, in words (no personal data beyond names of units and officers).</summary>
    public string? Change { get; set; }

    /// <summary>True once the request's record has been committed with its change.</summary>
    public bool AuditCommitted { get; private set; }

    public void MarkAuditCommitted() => AuditCommitted = true;

    public AuditRecord Record(AuditOutcome outcome) => new(
        request.Id, at, caller.Person.Subject, caller.Person.Name, RolesOf(caller, Station), request.Function, Station, Incident,
        Change, outcome, request.ClientAddress, request.CorrelationId);

    /// <summary>The roles that counted for this request: the global ones, and those held at the request's station.</summary>
    private static List<string> RolesOf(Caller caller, StationId? station) =>
    [
        .. caller.Roles.Select(r => r.Name()).Order(StringComparer.Ordinal),
        .. (station is { } s ? caller.At(s) : []).Select(m => $"{m.Role.Name()}@{m.Station}").Distinct().Order(StringComparer.Ordinal),
    ];
}
