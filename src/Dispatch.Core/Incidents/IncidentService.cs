using System.Security.Cryptography;
using System.Text;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>What the request names does not exist, or the caller may not know that it does (404).</summary>
public class NotFoundException(string message) : Exception(message), IRefused
{
    public Refusal? Refusal { get; init; }
}

public sealed class IncidentNotFoundException : NotFoundException
{
    public IncidentNotFoundException(IncidentId id)
        : base($"Incident {id} does not exist.") => Refusal = new("incident-not-found", ("incident", id.Value));
}

/// <summary>The If-Match a client sent is not the incident's current version (412).</summary>
public sealed class PreconditionFailedException(IncidentId id, string current)
    : Exception($"Incident {id} has changed since you read it; its current ETag is {current}."), IRefused
{
    public string CurrentETag { get; } = current;

    public Refusal? Refusal { get; } = new("incident-changed", ("incident", id.Value), ("etag", current));
}

/// <summary>A well-formed value the current state refuses, such as an officer not on the station's roster (422).</summary>
public sealed class FieldRefusedException(string field, string message) : Exception(message), IRefused
{
    public string Field { get; } = field;

    public Refusal? Refusal { get; init; }
}

/// <summary>
/// The use cases of the incident lifecycle: every milestone is stamped here with the server's clock, every
/// action is checked against who is calling, and every change commits with its audit record.
/// </summary>
public sealed class IncidentService(
    IIncidentStore store, IIncidentQueries queries, IDueIndex index, IAuditTrail audit, IRosterStore roster,
    NoticeRelay relay, IClock clock, ResponsePolicy policy, Units.IUnitStore units, Units.IPositionStore positions)
{
    private readonly Units.UnitFollower follower = new(units, store, positions, policy.UnitRules);

    private const int MaxConflictRetries = 8;

    private static readonly TimeSpan ImmediateSendBudget = TimeSpan.FromSeconds(3);

    public async Task<CreateResult> ReportAsync(ApiCall call, IncidentReport report, string? idempotencyKey, CancellationToken cancellationToken)
    {
        call.Station = report.Station;
        call.Change = report.AuditText;
        if (!AccessPolicy.CanReport(call.Caller, report.Station))
        {
            throw new ForbiddenException($"Only dispatchers, duty officers and the chief of {report.Station} (or the command center) may report its incidents.")
            {
                Refusal = new("may-not-report", ("station", report.Station.Value)),
            };
        }

        var now = clock.GetCurrentInstant();
        var opened = Incident.Open(IncidentId.New(report.Station, now), report, policy, now, call.Person);
        call.Incident = opened.Incident.Id;
        var record = call.Record(AuditOutcome.Created);

        // Before the commit, so the sweep finds the incident whatever happens after it (README, "Escalation").
        var entries = new List<DueEntry>();
        if (opened.Incident.NextDueAt is { } due)
        {
            entries.Add(DueEntry.ForClock(opened.Incident.Id, due));
        }

        var noticesEntry = opened.Notices.Count > 0 ? DueEntry.ForNotices(opened.Incident.Id, now + NoticeRelay.RecoveryDelay, now) : null;
        if (noticesEntry is not null)
        {
            entries.Add(noticesEntry);
        }

        await Task.WhenAll(index.AddAsync(entries, cancellationToken), audit.PrepareAsync(record, cancellationToken));
        var claim = idempotencyKey is null ? null : new IdempotencyClaim(idempotencyKey, HashOf(report));
        var result = await store.CreateAsync(opened, claim, record, cancellationToken);
        if (result.Outcome != CreateOutcome.Created)
        {
            call.Incident = result.Stored?.Incident.Id;
            return result;
        }

        call.MarkAuditCommitted();
        if (noticesEntry is not null)
        {
            await SendNowAsync(opened, noticesEntry, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Major matters go out with the intake rather than at the next sweep. The incident is already committed
    /// with its outbox row and indexed, so this is best effort within a short budget: if Service Bus or
    /// storage is slow, the sweep sends it, and the dispatcher still gets the 201 at once.
    /// </summary>
    private async Task SendNowAsync(Transition opened, DueEntry noticesEntry, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(ImmediateSendBudget);
        try
        {
            await relay.SendCommittedAsync(opened.Incident.Id, opened.Notices, noticesEntry, budget.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (StorageUnavailableException)
        {
        }
    }

    public async Task<StoredIncident> FindAsync(ApiCall call, IncidentId id, CancellationToken cancellationToken)
    {
        Locate(call, id, "read incident");
        return await store.FindAsync(id, cancellationToken) ?? throw new IncidentNotFoundException(id);
    }

    public Task<IncidentPage> ListAsync(ApiCall call, StationId station, StatusFilter status, Priority? priority, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        RequireList(call, station, status, priority);
        return queries.ListAsync(new IncidentQuery(station, status, priority, clock.GetCurrentInstant(), pageSize, continuationToken), cancellationToken);
    }

    /// <summary>
    /// What a board polls: a token that changes with every change of the station, so an unchanged list is
    /// answered 304 after one point read. Checked and audited like the list itself.
    /// </summary>
    public Task<string?> ListVersionAsync(ApiCall call, StationId station, StatusFilter status, Priority? priority, CancellationToken cancellationToken)
    {
        RequireList(call, station, status, priority);
        return queries.StationVersionAsync(station, cancellationToken);
    }

    /// <summary>The stations the caller may read: every one for the command center, auditors and admins; else those served at.</summary>
    public async Task<IReadOnlyList<StationId>> StationsAsync(ApiCall call, CancellationToken cancellationToken)
    {
        call.Change = "list stations";
        var all = call.Caller.Has(GlobalRole.CommandCenter) || call.Caller.Has(GlobalRole.Auditor) || call.Caller.Has(GlobalRole.Admin);
        return all
            ? [.. (await queries.StationsAsync(cancellationToken)).Select(s => s.Id).OrderBy(s => s.Value, StringComparer.Ordinal)]
            : [.. call.Caller.Memberships.Select(m => m.Station).Distinct().OrderBy(s => s.Value, StringComparer.Ordinal)];
    }

    private static void RequireList(ApiCall call, StationId station, StatusFilter status, Priority? priority)
    {
        call.Station = station;
        call.Change = $"list status={status.Name()}{(priority is { } p ? $" priority={p.Name()}" : "")}";
        if (!AccessPolicy.CanRead(call.Caller, station))
        {
            throw new ForbiddenException($"Only people on the roster of {station} (or the command center and auditors) may list its incidents.")
            {
                Refusal = new("may-not-list", ("station", station.Value)),
            };
        }
    }

    public async Task<IReadOnlyList<IncidentEvent>> TimelineAsync(ApiCall call, IncidentId id, CancellationToken cancellationToken)
    {
        Locate(call, id, "read timeline");
        var events = await queries.TimelineAsync(id, cancellationToken);
        return events.Count > 0 ? events : throw new IncidentNotFoundException(id);
    }

    /// <summary>A stable hash of what was reported, so a retry with the same key can be told from a different request.</summary>
    public static string HashOf(IncidentReport report)
    {
        var canonical = string.Join('\u001f',
            report.Station.Value, report.Category, report.Priority.Name(), report.Zone.Name(),
            report.Location.Address, report.Location.Latitude?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            report.Location.Longitude?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            report.Description, report.Channel.Name(), report.ReporterContact ?? "");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>Names the incident and the change in the audit record and refuses, as not found, a station the caller may not see.</summary>
    private static void Locate(ApiCall call, IncidentId id, string change)
    {
        call.Station = id.Station;
        call.Incident = id;
        call.Change = change;
        if (!AccessPolicy.CanRead(call.Caller, id.Station))
        {
            throw new IncidentNotFoundException(id);
        }
    }

    /// <summary>
    /// Refuses (403) a caller whose roles do not entitle them to the request, by the rule the incident's listed
    /// actions come from (<see cref="AccessPolicy.May"/>); a state the action does not fit is the incident's to refuse (409).
    /// </summary>
    private static void RequireTo(ApiCall call, Incident incident, IncidentRequest request)
    {
        if (request.Refusal is { } refusal && !AccessPolicy.IsEntitledTo(call.Caller, incident.Access, request.Action))
        {
            throw new ForbiddenException($"Only {refusal.Who} may {refusal.Verb} this incident.")
            {
                Refusal = new("may-not-act", ("action", request.Action)),
            };
        }
    }

    /// <summary>
    /// The person a dispatch names, as the roster has them, in the unit the roster gives them: a dispatch to another
    /// unit would let that unit's officers mark arrival and resolve (issue 23).
    /// </summary>
    private static Person AssigneeOf(Membership? member, (string Officer, string Unit) assignee, StationId station)
    {
        if (member is null)
        {
            throw new FieldRefusedException("officer", $"'{assignee.Officer}' is not on the roster of {station}: dispatch to someone the station's roster lists.")
            {
                Refusal = new("officer-not-on-roster", ("officer", assignee.Officer), ("station", station.Value)),
            };
        }

        if (member.Unit is null)
        {
            throw new FieldRefusedException("officer", $"'{assignee.Officer}' has no unit on the roster of {station}: give them one there before dispatching them.")
            {
                Refusal = new("officer-has-no-unit", ("officer", assignee.Officer), ("station", station.Value)),
            };
        }

        return string.Equals(member.Unit, assignee.Unit, StringComparison.OrdinalIgnoreCase)
            ? member.Person
            : throw new FieldRefusedException("unit", $"'{assignee.Unit}' is not {member.Person.Name}'s unit: the roster of {station} has them in {member.Unit}.")
            {
                Refusal = new("not-officers-unit", ("unit", assignee.Unit), ("name", member.Person.Name), ("station", station.Value), ("their", member.Unit)),
            };
    }

    /// <summary>
    /// Does what <paramref name="request"/> asks: reads, checks, changes and conditionally writes the incident with
    /// its audit record. With If-Match the client's version must be current; without it a lost race is retried on
    /// fresh state, so no concurrent update is ever lost.
    /// </summary>
    /// <exception cref="IncidentNotFoundException">No such incident, or one of a station the caller may not read (404).</exception>
    /// <exception cref="PreconditionFailedException">If-Match names another version (412).</exception>
    /// <exception cref="ForbiddenException">The caller's roles do not entitle them to it (403).</exception>
    /// <exception cref="FieldRefusedException">The officer it names is not on the roster in that unit (422).</exception>
    /// <exception cref="InvalidTransitionException">The incident's state does not allow it, or the unit named is out of service or off duty and no override was given (409).</exception>
    public async Task<StoredIncident> ChangeAsync(ApiCall call, IncidentId id, IncidentRequest request, string? ifMatch, CancellationToken cancellationToken)
    {
        Locate(call, id, request.AuditText);
        var prepared = audit.PrepareAsync(call.Record(AuditOutcome.Changed), cancellationToken);
        var lookup = request.Assignee is { } named ? roster.FindAsync(id.Station, named.Officer, cancellationToken) : null;
        // The unit a dispatch names is read beside the incident, not after it (issue 29 §2); a retry reads it again.
        var targetRead = follower.ReadTarget(id.Station, request, cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            var stored = await store.FindAsync(id, cancellationToken) ?? throw new IncidentNotFoundException(id);
            if (ifMatch is not null && ifMatch != "*" && ifMatch != stored.ETag)
            {
                throw new PreconditionFailedException(id, stored.ETag);
            }

            // Who may ask is settled before the roster answers, so a refusal tells nothing about the roster.
            RequireTo(call, stored.Incident, request);
            var assignee = request.Assignee is { } asked ? AssigneeOf(await lookup!, asked, id.Station) : null;
            var transition = await follower.ApplyAsync(stored.Incident, request, assignee, clock.GetCurrentInstant(), call.Caller, attempt == 0 ? targetRead : null, cancellationToken);
            await prepared;
            // A pause (its maximum) or a resume (the moved deadline) can bring the sweep's next work earlier than the
            // entry the index holds: the earlier entry goes in before the commit, as an intake's does.
            if (transition.Incident.NextDueAt is { } due && !(stored.Incident.NextDueAt <= due))
            {
                await index.AddAsync([DueEntry.ForClock(id, due)], cancellationToken);
            }

            try
            {
                var saved = await store.SaveAsync(stored, transition, call.Record(AuditOutcome.Changed), cancellationToken);
                call.MarkAuditCommitted();
                return saved;
            }
            catch (ConcurrencyConflictException) when (ifMatch is null or "*" && attempt < MaxConflictRetries)
            {
                // Someone else changed it between our read and write: re-read and re-apply.
            }
            catch (ConcurrencyConflictException) when (ifMatch is not null and not "*")
            {
                var current = await store.FindAsync(id, cancellationToken);
                throw new PreconditionFailedException(id, current?.ETag ?? "");
            }
        }
    }
}
