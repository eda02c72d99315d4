using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Core.Tests.Doubles;

/// <summary>The use cases wired to in-memory doubles of their ports, on a FakeClock, with one staffed station.</summary>
public sealed class World
{
    public static readonly Instant T0 = Instant.FromUtc(2026, 11, 26, 8, 0);
    public static readonly StationId Beilin = StationId.Parse("beilin-01");
    public static readonly StationId Yanta = StationId.Parse("yanta-02");
    public static readonly Person Dispatcher = new("li.ming", "Li Ming");
    public static readonly Person Officer = new("wang.lei", "Wang Lei");
    public static readonly Person Partner = new("liu.bo", "Liu Bo");
    public static readonly Person OtherOfficer = new("zhao.min", "Zhao Min");
    public static readonly Person DutyOfficer = new("sun.hao", "Sun Hao");
    public static readonly Person Chief = new("zhang.wei", "Zhang Wei");
    public static readonly Person YantaChief = new("he.ping", "He Ping");
    public static readonly Person CommandCenter = new("liu.yang", "Liu Yang");
    public static readonly Person Auditor = new("qian.li", "Qian Li");
    public static readonly Person Admin = new("admin", "Administrator");
    public static readonly Person Nobody = new("nobody", "Nobody");

    public World(ResponsePolicy? policy = null)
    {
        Policy = policy ?? ResponsePolicy.Default;
        Relay = new NoticeRelay(Store, Publisher, Index, Clock);
        Incidents = new IncidentService(Store, Store, Index, Audit, Roster, Relay, Clock, Policy, new InMemoryUnits(), new NoPositions());
        Sweeper = new Sweeper(Store, Index, Relay, Clock);
        Rosters = new RosterService(Roster);
        AuditService = new AuditService(Audit);
        Roster.Add(new Membership(Beilin, Dispatcher, StationRole.Dispatcher, null));
        Roster.Add(new Membership(Beilin, Officer, StationRole.Officer, "patrol-7"));
        Roster.Add(new Membership(Beilin, Partner, StationRole.Officer, "patrol-7"));
        Roster.Add(new Membership(Beilin, OtherOfficer, StationRole.Officer, "patrol-5"));
        Roster.Add(new Membership(Beilin, DutyOfficer, StationRole.DutyOfficer, null));
        Roster.Add(new Membership(Beilin, Chief, StationRole.Chief, null));
        Roster.Add(new Membership(Yanta, YantaChief, StationRole.Chief, null));
    }

    public FakeClock Clock { get; } = new(T0);

    public ResponsePolicy Policy { get; }

    public InMemoryStore Store { get; } = new();

    public InMemoryIndex Index { get; } = new();

    public InMemoryRoster Roster { get; } = new();

    public InMemoryAudit Audit { get; } = new();

    public RecordingPublisher Publisher { get; } = new();

    public NoticeRelay Relay { get; }

    public IncidentService Incidents { get; }

    public Sweeper Sweeper { get; }

    public RosterService Rosters { get; }

    public AuditService AuditService { get; }

    /// <summary>A request by <paramref name="person"/>, with the roster's memberships and the given global roles.</summary>
    public ApiCall Call(Person person, params GlobalRole[] roles)
    {
        var memberships = Roster.MembershipsOfAsync(person.Subject, default).Result;
        return new ApiCall(new Caller(person, roles.ToHashSet(), memberships), new RequestInfo(Guid.NewGuid().ToString("N"), "Test", "127.0.0.1", "trace"), Clock.GetCurrentInstant());
    }

    public ApiCall AsCommandCenter() => Call(CommandCenter, GlobalRole.CommandCenter);

    public static IncidentReport Report(StationId? station = null, Priority priority = Priority.P1, string category = "theft", Zone zone = Zone.Urban) =>
        new(station ?? Beilin, category, priority, zone, new Location("1 Bell Tower Square", null, null), "", Channel.Phone, "138-0000-0000");

    public async Task<IncidentId> ReportAsync(Priority priority = Priority.P1, string category = "theft", StationId? station = null)
    {
        var result = await Incidents.ReportAsync(Call(Dispatcher), Report(station, priority, category), null, default);
        return result.Stored!.Incident.Id;
    }

    public Task<StoredIncident> DispatchAsync(IncidentId id, Person? officer = null, string unit = "patrol-7") =>
        Incidents.DispatchAsync(Call(Dispatcher), id, unit, (officer ?? Officer).Subject, null, default);

    public Incident Get(IncidentId id) => Store.Get(id);

    /// <summary>Every message id sent so far, each as many times as it was sent.</summary>
    public List<string> SentIds => [.. Publisher.Sent.Select(n => n.MessageId)];
}
