using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;

namespace Dispatch.Core.Tests.Doubles;

/// <summary>Each action's use case by name, as the tests ask for them: the typed request through <see cref="IncidentService.ChangeAsync"/>, as the API does.</summary>
public static class UseCases
{
    public static Task<StoredIncident> DispatchAsync(this IncidentService incidents, ApiCall call, IncidentId id, string unit, string officer, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Dispatch(unit, officer), ifMatch, cancellationToken);

    public static Task<StoredIncident> ReassignAsync(
        this IncidentService incidents, ApiCall call, IncidentId id, string unit, string officer, string? reason, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Reassign(unit, officer, reason), ifMatch, cancellationToken);

    public static Task<StoredIncident> ArriveAsync(this IncidentService incidents, ApiCall call, IncidentId id, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Arrive(), ifMatch, cancellationToken);

    public static Task<StoredIncident> ResolveAsync(this IncidentService incidents, ApiCall call, IncidentId id, string outcome, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Resolve(outcome), ifMatch, cancellationToken);

    public static Task<StoredIncident> CloseAsync(this IncidentService incidents, ApiCall call, IncidentId id, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Close(), ifMatch, cancellationToken);

    public static Task<StoredIncident> CancelAsync(this IncidentService incidents, ApiCall call, IncidentId id, string reason, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Cancel(reason), ifMatch, cancellationToken);

    public static Task<StoredIncident> AcknowledgeAsync(this IncidentService incidents, ApiCall call, IncidentId id, int? level, string? ifMatch, CancellationToken cancellationToken) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.Acknowledge(level), ifMatch, cancellationToken);

    public static Task<StoredIncident> PauseAsync(
        this IncidentService incidents, ApiCall call, IncidentId id, ClockKind clock, PauseReason reason, string? note = null, string? ifMatch = null) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.PauseClock(clock, reason, note), ifMatch, default);

    public static Task<StoredIncident> ResumeAsync(this IncidentService incidents, ApiCall call, IncidentId id, ClockKind clock, string? ifMatch = null) =>
        incidents.ChangeAsync(call, id, new IncidentRequest.ResumeClock(clock), ifMatch, default);
}
