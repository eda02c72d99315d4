namespace Dispatch.Core.Incidents;

/// <summary>An incident after a change, the events that record it, and the notices it raised.</summary>
public sealed record Transition(Incident Incident, IReadOnlyList<IncidentEvent> Events, IReadOnlyList<Notice> Notices)
{
    /// <summary>The units the change moves (dispatched, on scene, freed), written with the incident in one transaction.</summary>
    public IReadOnlyList<Units.UnitMove> UnitMoves { get; init; } = [];

    /// <summary>Another incident of the same station changed with this one (the incident a diverted unit was pulled off).</summary>
    public IReadOnlyList<(StoredIncident Previous, Transition Change)> Alongside { get; init; } = [];

    public Transition(Incident incident, IncidentEvent recorded)
        : this(incident, [recorded], [])
    {
    }
}

/// <summary>A change that the incident's current state does not allow (a 409 to a client).</summary>
public class InvalidTransitionException(string message) : Exception(message), IRefused
{
    protected InvalidTransitionException(string message, Refusal refusal)
        : this(message) => Refusal = refusal;

    public Refusal? Refusal { get; init; }
}

/// <summary>
/// An acknowledgement names a level the incident's ladder does not stand at: it has climbed since the caller
/// looked (or never got there). A 409 that tells the current level, so the caller can look again.
/// </summary>
public sealed class StaleLevelException(IncidentId id, int seen, int current) : InvalidTransitionException(seen < current
    ? $"Incident {id}'s escalation has climbed to level {current} since you saw level {seen}: look again before acknowledging."
    : $"Incident {id} has only reached escalation level {current}, not {seen}.",
    new Refusal(seen < current ? "escalation-climbed" : "escalation-not-reached", ("incident", id.Value), ("seen", seen), ("current", current)))
{
    public int CurrentLevel { get; } = current;
}
