using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;

namespace Dispatch.Core.Tests.Doubles;

/// <summary>The roster as a list.</summary>
public sealed class InMemoryRoster : IRosterStore
{
    private readonly List<Membership> members = [];

    public List<AuditRecord> CommittedAudit { get; } = [];

    public void Add(Membership membership) => members.Add(membership);

    public Task<IReadOnlyList<Membership>> MembershipsOfAsync(string subject, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Membership>>([.. members.Where(m => m.Person.Subject == subject)]);

    public Task<IReadOnlyList<Membership>> RosterOfAsync(StationId station, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Membership>>([.. members.Where(m => m.Station == station)]);

    public Task<Membership?> FindAsync(StationId station, string subject, CancellationToken cancellationToken) =>
        Task.FromResult(members.FirstOrDefault(m => m.Station == station && m.Person.Subject == subject));

    public Task PutAsync(Membership membership, AuditRecord audit, CancellationToken cancellationToken)
    {
        members.RemoveAll(m => m.Station == membership.Station && m.Person.Subject == membership.Person.Subject);
        members.Add(membership);
        CommittedAudit.Add(audit);
        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(StationId station, string subject, AuditRecord audit, CancellationToken cancellationToken)
    {
        var removed = members.RemoveAll(m => m.Station == station && m.Person.Subject == subject) > 0;
        CommittedAudit.Add(audit);
        return Task.FromResult(removed);
    }
}

/// <summary>The audit trail as lists: prepared copies, and records written apart from a change.</summary>
public sealed class InMemoryAudit : IAuditTrail
{
    public List<AuditRecord> Prepared { get; } = [];

    public List<AuditRecord> Recorded { get; } = [];

    public AuditQuery? LastQuery { get; private set; }

    public Task PrepareAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        lock (Prepared)
        {
            Prepared.Add(record);
        }

        return Task.CompletedTask;
    }

    public Task RecordAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        Recorded.Add(record);
        return Task.CompletedTask;
    }

    public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        LastQuery = query;
        return Task.FromResult(new AuditPage([.. Recorded.Where(r => query.Station is null || r.Station == query.Station)], null));
    }
}

/// <summary>Records what is sent; can refuse to send, as a Service Bus outage would.</summary>
public sealed class RecordingPublisher : INoticePublisher
{
    private readonly List<Notice> sent = [];

    public IReadOnlyList<Notice> Sent
    {
        get
        {
            lock (sent)
            {
                return [.. sent];
            }
        }
    }

    public int Attempts { get; private set; }

    /// <summary>Decides, per attempt, whether sending fails (true) or succeeds.</summary>
    public Func<Notice, int, bool>? Fails { get; set; }

    /// <summary>Awaited before each attempt; a test can make sending hang until the caller gives up.</summary>
    public Func<CancellationToken, Task>? Before { get; set; }

    public async Task PublishAsync(Notice notice, CancellationToken cancellationToken)
    {
        if (Before is { } before)
        {
            await before(cancellationToken);
        }

        lock (sent)
        {
            Attempts++;
            if (Fails?.Invoke(notice, Attempts) == true)
            {
                throw new InvalidOperationException("Service Bus is down");
            }

            sent.Add(notice);
        }
    }
}

/// <summary>
/// Units as a dictionary: enough for the lifecycle tests here, which name units only as the roster does. How units
/// follow incidents is tested through the API on Azurite (UnitApiTests), where the moves commit with the incident.
/// </summary>
public sealed class InMemoryUnits : Dispatch.Core.Units.IUnitStore
{
    private readonly Dictionary<string, Dispatch.Core.Units.StoredUnit> units = new(StringComparer.OrdinalIgnoreCase);

    public Task<IReadOnlyList<Dispatch.Core.Units.StoredUnit>> ListAsync(StationId station, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Dispatch.Core.Units.StoredUnit>>([.. units.Values.Where(u => u.Unit.Station == station)]);

    public Task<Dispatch.Core.Units.StoredUnit?> FindAsync(StationId station, string unit, CancellationToken cancellationToken) =>
        Task.FromResult(units.GetValueOrDefault($"{station}|{unit}"));

    public Task PutAsync(Dispatch.Core.Units.StoredUnit? previous, Dispatch.Core.Units.Unit unit, AuditRecord audit, CancellationToken cancellationToken)
    {
        units[$"{unit.Station}|{unit.Id}"] = new(unit, Guid.NewGuid().ToString("N"));
        return Task.CompletedTask;
    }

    public Task MoveAsync(Dispatch.Core.Units.UnitMove move, AuditRecord audit, CancellationToken cancellationToken) =>
        PutAsync(move.Previous, move.Next, audit, cancellationToken);

    public Task<IReadOnlyList<Dispatch.Core.Units.UnitStatusChange>> TimelineAsync(StationId station, string unit, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Dispatch.Core.Units.UnitStatusChange>>([]);
}

/// <summary>No unit has reported a position: arrivals are checked against the device's point alone.</summary>
public sealed class NoPositions : Dispatch.Core.Units.IPositionStore
{
    public Task RecordAsync(StationId station, string unit, Dispatch.Core.Units.Position position, NodaTime.Instant keepFrom, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The lifecycle tests report no positions.");

    public Task<IReadOnlyDictionary<string, Dispatch.Core.Units.Position>> LatestAsync(StationId station, NodaTime.Instant keepFrom, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, Dispatch.Core.Units.Position>>(new Dictionary<string, Dispatch.Core.Units.Position>());

    public Task<IReadOnlyList<Dispatch.Core.Units.Position>> TrailAsync(StationId station, string unit, NodaTime.Instant keepFrom, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Dispatch.Core.Units.Position>>([]);
}
