using System.Text.Json;
using System.Text.Json.Serialization;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// The stored form of an incident: plain values with wire names, so a renamed C# member never breaks rows
/// already written. Rows written before identity and frozen facts existed still read: their actors were
/// unverified names (shown as <c>unverified:name</c>), and their clocks' outcomes are derived from milestones.
/// </summary>
internal sealed record IncidentDocument(
    string Id,
    string Station,
    string Category,
    string Priority,
    string Zone,
    string Channel,
    string Address,
    double? Latitude,
    double? Longitude,
    string Description,
    string? ReporterContact,
    string Status,
    string PolicyVersion,
    PlanDocument Plan,
    int Version,
    Instant ReportedAt,
    PersonDocument ReportedBy,
    Instant? DispatchedAt,
    Instant? OnSceneAt,
    Instant? ResolvedAt,
    Instant? ClosedAt,
    Instant? CancelledAt,
    string? Unit,
    PersonDocument? Officer,
    AssignmentDocument[]? Assignments,
    string? Outcome,
    string? CancelReason,
    ClockDocument Dispatch,
    ClockDocument Arrival,
    ClockDocument Resolution)
{
    /// <summary>Whether the map agreed with the arrival; absent from bodies written before arrivals were checked.</summary>
    public Core.Units.ArrivalCheck? ArrivalCheck { get; init; }

    public static IncidentDocument From(Incident incident) => new(
        incident.Id.Value,
        incident.Station.Value,
        incident.Report.Category,
        incident.Report.Priority.Name(),
        incident.Report.Zone.Name(),
        incident.Report.Channel.Name(),
        incident.Report.Location.Address,
        incident.Report.Location.Latitude,
        incident.Report.Location.Longitude,
        incident.Report.Description,
        incident.Report.ReporterContact,
        incident.Status.Name(),
        incident.PolicyVersion,
        PlanDocument.From(incident.Plan),
        incident.Version,
        incident.ReportedAt,
        PersonDocument.From(incident.ReportedBy),
        incident.DispatchedAt,
        incident.OnSceneAt,
        incident.ResolvedAt,
        incident.ClosedAt,
        incident.CancelledAt,
        incident.Unit,
        incident.Officer is { } officer ? PersonDocument.From(officer) : null,
        [.. incident.Assignments.Select(AssignmentDocument.From)],
        incident.Outcome,
        incident.CancelReason,
        ClockDocument.From(incident.Clocks.Dispatch),
        ClockDocument.From(incident.Clocks.Arrival),
        ClockDocument.From(incident.Clocks.Resolution))
    {
        ArrivalCheck = incident.Lifecycle.Arrival,
    };

    public Incident ToIncident()
    {
        if (!WireNames.TryParse(Priority, out Priority priority) || !WireNames.TryParse(Zone, out Zone zone)
            || !WireNames.TryParse(Channel, out Channel channel) || !WireNames.TryParse(Status, out IncidentStatus status))
        {
            throw new InvalidDataException($"Stored incident {Id} has an unknown priority, zone, channel or status.");
        }

        var report = new IncidentReport(
            StationId.Parse(Station), Category, priority, zone, new Location(Address, Latitude, Longitude), Description, channel, ReporterContact);

        // Before assignments were kept, a row held only the last unit and officer, dispatched at DispatchedAt.
        IReadOnlyList<Assignment> assignments = Assignments is not null
            ? [.. Assignments.Select(a => a.ToAssignment())]
            : Unit is not null && Officer is not null && DispatchedAt is { } dispatched
                ? [new Assignment(dispatched, Unit, Officer.ToPerson(), Officer.ToPerson())]
                : [];
        return new Incident
        {
            Id = IncidentId.Parse(Id),
            Report = report,
            PolicyVersion = PolicyVersion,
            Version = Version,
            ReportedAt = ReportedAt,
            Lifecycle = new Lifecycle(status)
            {
                DispatchedAt = DispatchedAt,
                OnSceneAt = OnSceneAt,
                ResolvedAt = ResolvedAt,
                ClosedAt = ClosedAt,
                CancelledAt = CancelledAt,
                Outcome = Outcome,
                CancelReason = CancelReason,
                Arrival = ArrivalCheck,
            },
            Ownership = new Ownership(ReportedBy.ToPerson(), assignments),
            Ladder = new EscalationLadder(
                Plan.ToPlan(), new ClockSet(Dispatch.ToClock(ClockKind.Dispatch), Arrival.ToClock(ClockKind.Arrival), Resolution.ToClock(ClockKind.Resolution))),
        };
    }
}

/// <summary>A person as stored; rows from before identity hold just a name, read as an unverified person.</summary>
[JsonConverter(typeof(PersonDocumentConverter))]
internal sealed record PersonDocument(string Subject, string Name)
{
    public const string Unverified = "unverified:";

    public static PersonDocument From(Person person) => new(person.Subject, person.Name);

    public Person ToPerson() => new(Subject, Name);

    private sealed class PersonDocumentConverter : JsonConverter<PersonDocument>
    {
        public override PersonDocument? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                var name = reader.GetString()!;
                return new PersonDocument(Unverified + name, name);
            }

            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return new PersonDocument(root.GetProperty("subject").GetString()!, root.GetProperty("name").GetString()!);
        }

        public override void Write(Utf8JsonWriter writer, PersonDocument value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteString("subject", value.Subject);
            writer.WriteString("name", value.Name);
            writer.WriteEndObject();
        }
    }
}

internal sealed record AssignmentDocument(Instant At, string Unit, PersonDocument Officer, PersonDocument By)
{
    public static AssignmentDocument From(Assignment a) => new(a.At, a.Unit, PersonDocument.From(a.Officer), PersonDocument.From(a.By));

    public Assignment ToAssignment() => new(At, Unit, Officer.ToPerson(), By.ToPerson());
}

internal sealed record HolderDocument(string Kind, PersonDocument Person, string? Unit)
{
    public static HolderDocument From(Holder h) => new(h.Kind.Name(), PersonDocument.From(h.Person), h.Unit);

    public Holder ToHolder() => new(
        WireNames.TryParse(Kind, out HolderKind kind) ? kind : throw new InvalidDataException($"'{Kind}' is not a holder kind."), Person.ToPerson(), Unit);
}

internal sealed record HoldingDocument(HolderDocument Holder, Instant From, Instant To)
{
    public static HoldingDocument Of(Holding h) => new(HolderDocument.From(h.Holder), h.From, h.To);

    public Holding ToHolding() => new(Holder.ToHolder(), From, To);
}

internal sealed record OutcomeDocument(string Result, Instant EndedAt, long ElapsedMilliseconds, long OverdueMilliseconds, HoldingDocument[] Periods, HolderDocument Accountable)
{
    public static OutcomeDocument From(ClockOutcome o) => new(
        o.Result.Name(), o.EndedAt, (long)o.Elapsed.TotalMilliseconds, (long)o.OverdueBy.TotalMilliseconds,
        [.. o.Periods.Select(HoldingDocument.Of)], HolderDocument.From(o.Accountable));

    public ClockOutcome ToOutcome() => new(
        WireNames.TryParse(Result, out ClockResult result) ? result : throw new InvalidDataException($"'{Result}' is not a clock result."),
        EndedAt, Duration.FromMilliseconds(ElapsedMilliseconds), Duration.FromMilliseconds(OverdueMilliseconds),
        [.. Periods.Select(p => p.ToHolding())], Accountable.ToHolder(), Derived: false);
}

internal sealed record BreachDocument(Instant At, HolderDocument Holder, Instant RecordedAt)
{
    public static BreachDocument From(BreachFact b) => new(b.At, HolderDocument.From(b.Holder), b.RecordedAt);

    public BreachFact ToBreach() => new(At, Holder.ToHolder(), RecordedAt);
}

/// <summary>
/// A clock as stored. <see cref="StartedAt"/> is kept since clocks kept their own start; a row from before reads
/// it as <c>Deadline - Target</c>, which is what it was then. <see cref="Deadline"/> is still written, derived, so
/// a row says its deadline to whoever reads the JSON.
/// </summary>
internal sealed record ClockDocument(
    long TargetSeconds, Instant Deadline, Instant? MetAt, Instant? StoppedAt, int WarningsSent, int Level, Instant? AcknowledgedAt, PersonDocument? AcknowledgedBy,
    BreachDocument? Breach, OutcomeDocument? Outcome, Instant? StartedAt = null, PauseDocument[]? Pauses = null, CalendarDocument? Calendar = null)
{
    public static ClockDocument From(ResponseClock clock) =>
        new((long)clock.Target.TotalSeconds, clock.Deadline, clock.MetAt, clock.StoppedAt, clock.WarningsSent, clock.Level, clock.AcknowledgedAt,
            clock.AcknowledgedBy is { } by ? PersonDocument.From(by) : null,
            clock.Breach is { } b ? BreachDocument.From(b) : null,
            clock.Outcome is { } o ? OutcomeDocument.From(o) : null,
            clock.StartedAt,
            clock.Pauses.Items.Count == 0 ? null : [.. clock.Pauses.Items.Select(PauseDocument.From)],
            clock.Calendar is { } calendar ? CalendarDocument.From(calendar) : null);

    public ResponseClock ToClock(ClockKind kind) => new(kind, StartedAt ?? Deadline - Duration.FromSeconds(TargetSeconds), Duration.FromSeconds(TargetSeconds), MetAt, StoppedAt)
    {
        WarningsSent = WarningsSent,
        Level = Level,
        AcknowledgedAt = AcknowledgedAt,
        AcknowledgedBy = AcknowledgedBy?.ToPerson(),
        Breach = Breach?.ToBreach(),
        Outcome = Outcome?.ToOutcome(),
        // Rows from before pauses (issue 28) have none.
        Pauses = Pauses is null ? PauseLog.Empty : new PauseLog([.. Pauses.Select(p => p.ToPause())]),
        // Rows from before business hours (issue 28), and clocks of priorities without them, run round the clock.
        Calendar = Calendar?.ToCalendar(),
    };
}

/// <summary>A clock's business hours as stored with it, so a later policy change never moves its deadline.</summary>
internal sealed record CalendarDocument(string Zone, string[] Days, LocalTime Opens, LocalTime Closes, LocalDate[]? Holidays)
{
    public static CalendarDocument From(BusinessCalendar calendar) =>
        new(calendar.Zone.Id, [.. calendar.DayNamesInOrder], calendar.Opens, calendar.Closes,
            calendar.Holidays.Count == 0 ? null : [.. calendar.Holidays.Order()]);

    public BusinessCalendar ToCalendar() => new(
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(Zone) ?? throw new InvalidDataException($"Stored business hours name an unknown time zone '{Zone}'."),
        Days.Select(d => BusinessCalendar.TryParseDay(d, out var day) ? day : throw new InvalidDataException($"Stored business hours name an unknown day '{d}'.")).ToHashSet(),
        Opens, Closes, (Holidays ?? []).ToHashSet());
}

internal sealed record PauseDocument(
    string Reason, Instant At, PersonDocument By, string? Unit, Instant ResumesBy, Instant? ResumedAt, PersonDocument? ResumedBy, Instant? TellChiefAt = null, bool ChiefTold = false)
{
    public static PauseDocument From(ClockPause p) =>
        new(p.Reason, p.At, PersonDocument.From(p.By), p.Unit, p.ResumesBy, p.ResumedAt, p.ResumedBy is { } by ? PersonDocument.From(by) : null, p.TellChiefAt, p.ChiefTold);

    public ClockPause ToPause() => new(Reason, At, By.ToPerson(), Unit, ResumesBy, TellChiefAt) { ResumedAt = ResumedAt, ResumedBy = ResumedBy?.ToPerson(), ChiefTold = ChiefTold };
}

internal sealed record PlanDocument(double[] WarnAt, LevelDocument[] Ladder)
{
    public static PlanDocument From(EscalationPlan plan) =>
        new([.. plan.WarnAt], [.. plan.Ladder.Select(l => new LevelDocument(l.Level, (long)l.After.TotalSeconds, l.To.Name()))]);

    public EscalationPlan ToPlan() => new(WarnAt, [.. Ladder.Select(l => new EscalationLevel(l.Level, Duration.FromSeconds(l.AfterSeconds), AudienceNames.Parse(l.To)))]);
}

internal sealed record LevelDocument(int Level, long AfterSeconds, string To);

/// <summary>A notice as the outbox stores it.</summary>
internal sealed record NoticeDocument(
    string IncidentId,
    string Station,
    string Category,
    string Priority,
    string Address,
    string? Clock,
    string Kind,
    int Level,
    string Audience,
    Instant? Deadline,
    Instant? BreachedAt,
    Instant At,
    long OverdueMilliseconds,
    PersonDocument RaisedBy,
    Instant? DueAt = null)
{
    public static NoticeDocument From(Notice n) => new(
        n.IncidentId.Value, n.Station.Value, n.Category, n.Priority.Name(), n.Address, n.Clock?.Name(), n.Kind.Name(), n.Level, n.Audience.Name(),
        n.Deadline, n.BreachedAt, n.At, (long)n.OverdueBy.TotalMilliseconds, PersonDocument.From(n.RaisedBy), n.DueAt);

    public Notice ToNotice()
    {
        ClockKind? clock = null;
        if (Clock is not null && WireNames.TryParse(Clock, out ClockKind parsed))
        {
            clock = parsed;
        }

        if (!WireNames.TryParse(Priority, out Priority priority) || !WireNames.TryParse(Kind, out NoticeKind kind))
        {
            throw new InvalidDataException($"Stored notice for {IncidentId} has an unknown priority or kind.");
        }

        return new Notice(Core.Incidents.IncidentId.Parse(IncidentId), StationId.Parse(Station), Category, priority, Address, clock, kind, Level,
            AudienceNames.Parse(Audience), Deadline, BreachedAt, At, Duration.FromMilliseconds(OverdueMilliseconds), RaisedBy.ToPerson())
        {
            // Outbox rows written before DueAt was kept: the moment it was raised is the nearest known.
            DueAt = DueAt ?? At,
        };
    }
}
