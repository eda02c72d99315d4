using System.Globalization;
using Dispatch.Core;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using NodaTime;
using NodaTime.Text;

namespace Dispatch.Functions.Storage;

/// <summary>A timeline event as stored: its kind's wire name and its details as text under the keys rows have always had.</summary>
internal sealed record EventDocument(string IncidentId, int Sequence, string Kind, Instant At, PersonDocument Actor, Dictionary<string, string> Details)
{
    public static EventDocument From(IncidentEvent e) =>
        new(e.IncidentId.Value, e.Sequence, e.Kind.Name(), e.At, PersonDocument.From(e.Actor), EventDetailsText.Of(e.Details));

    public IncidentEvent ToEvent()
    {
        var where = $"{IncidentId}#{Sequence}";
        var kind = WireNames.TryParse(Kind, out EventKind parsed) ? parsed : throw new InvalidDataException($"Stored event {where} has an unknown kind '{Kind}'.");
        return new IncidentEvent(Core.Incidents.IncidentId.Parse(IncidentId), Sequence, At, Actor.ToPerson(), EventDetailsText.Read(kind, Details, where));
    }
}

/// <summary>
/// Each kind of event's details as text, under fixed keys: how rows store them and how the API's timeline shows
/// them (<c>details</c>), so both say the same. The keys are the ones rows have carried since each kind existed,
/// and reading accepts every row written since (a dispatch stored before identity named its officer by name only).
/// </summary>
internal static class EventDetailsText
{
    public static Dictionary<string, string> Of(EventDetails details) => details switch
    {
        EventDetails.Reported r => new()
        {
            ["priority"] = r.Priority.Name(), ["zone"] = r.Zone.Name(), ["category"] = r.Category, ["policyVersion"] = r.PolicyVersion,
        },
        EventDetails.Dispatched d => new() { ["unit"] = d.Unit, ["officer"] = d.Officer.Subject, ["officerName"] = d.Officer.Name },
        EventDetails.Reassigned r => Reassigned(r),
        EventDetails.Resolved r => new() { ["outcome"] = r.Outcome },
        EventDetails.Cancelled c => new() { ["reason"] = c.Reason },
        EventDetails.Warned w => Notice(NoticeKind.Warning, w.Audience, w.Warning, w.MessageId, w.Clock),
        EventDetails.Escalated e => Notice(NoticeKind.Escalation, e.Audience, e.Level, e.MessageId, e.Clock),
        EventDetails.Notified n => Notice(n.Notice, n.Audience, 0, n.MessageId, n.Clock),
        EventDetails.Acknowledged a => new() { ["level"] = Number(a.Level), ["clocks"] = string.Join(",", a.Clocks.Select(c => c.Name())) },
        EventDetails.Paused p => Paused(p),
        EventDetails.Resumed r => new()
        {
            ["clock"] = r.Clock.Name(), ["reason"] = r.Reason, ["resumedAt"] = InstantPattern.ExtendedIso.Format(r.ResumedAt),
            ["pausedFor"] = IsoDuration.Format(r.PausedFor), ["deadline"] = InstantPattern.ExtendedIso.Format(r.Deadline), ["automatic"] = r.Automatic ? "true" : "false",
        },
        EventDetails.OnScene or EventDetails.Closed => [],
        _ => throw new ArgumentOutOfRangeException(nameof(details), details.Kind, "An event kind with no stored form."),
    };

    /// <exception cref="InvalidDataException">A key the kind needs is missing or holds what it cannot.</exception>
    public static EventDetails Read(EventKind kind, IReadOnlyDictionary<string, string> text, string where)
    {
        var row = new Row(text, where);
        return kind switch
        {
            EventKind.Reported => new EventDetails.Reported(
                row.Parse<Priority>("priority", WireNames.TryParse), row.Parse<Zone>("zone", WireNames.TryParse), row["category"], row["policyVersion"]),
            EventKind.Dispatched => new EventDetails.Dispatched(row["unit"], row.Officer()),
            EventKind.Reassigned => new EventDetails.Reassigned(row["unit"], row.Officer(), row["fromUnit"], row["fromOfficer"], row.Optional("reason")),
            EventKind.OnScene => new EventDetails.OnScene(),
            EventKind.Resolved => new EventDetails.Resolved(row["outcome"]),
            EventKind.Closed => new EventDetails.Closed(),
            EventKind.Cancelled => new EventDetails.Cancelled(row["reason"]),
            EventKind.Warned => new EventDetails.Warned(row.Parse<ClockKind>("clock", WireNames.TryParse), row.Number("level"), row.Audience(), row["messageId"]),
            EventKind.Escalated => new EventDetails.Escalated(row.Parse<ClockKind>("clock", WireNames.TryParse), row.Number("level"), row.Audience(), row["messageId"]),
            // "kind" was always written (immediate, before long pauses); a clock only for a long pause.
            EventKind.Notified => new EventDetails.Notified(row.Audience(), row["messageId"])
            {
                Notice = row.Optional("kind") is { } noticeKind ? Parse<NoticeKind>(noticeKind, "kind", where, WireNames.TryParse) : NoticeKind.Immediate,
                Clock = row.Optional("clock") is { } clock ? Parse<ClockKind>(clock, "clock", where, WireNames.TryParse) : null,
            },
            EventKind.Acknowledged => new EventDetails.Acknowledged(
                row.Number("level"), [.. row["clocks"].Split(',').Select(c => Parse<ClockKind>(c, "clocks", where, WireNames.TryParse))]),
            EventKind.Paused => new EventDetails.Paused(row.Parse<ClockKind>("clock", WireNames.TryParse), row["reason"], row.Instant("resumesBy"), row.Optional("note")),
            EventKind.Resumed => new EventDetails.Resumed(
                row.Parse<ClockKind>("clock", WireNames.TryParse), row["reason"], row.Instant("resumedAt"), row.Duration("pausedFor"), row.Instant("deadline"),
                row["automatic"] == "true"),
            _ => throw new InvalidDataException($"Stored event {where} is of a kind with no stored form."),
        };
    }

    private static Dictionary<string, string> Reassigned(EventDetails.Reassigned r)
    {
        var text = new Dictionary<string, string>
        {
            ["unit"] = r.Unit, ["officer"] = r.Officer.Subject, ["officerName"] = r.Officer.Name, ["fromUnit"] = r.FromUnit, ["fromOfficer"] = r.FromOfficer,
        };
        if (r.Reason is not null)
        {
            text["reason"] = r.Reason;
        }

        return text;
    }

    private static Dictionary<string, string> Paused(EventDetails.Paused p)
    {
        var text = new Dictionary<string, string> { ["clock"] = p.Clock.Name(), ["reason"] = p.Reason, ["resumesBy"] = InstantPattern.ExtendedIso.Format(p.ResumesBy) };
        if (p.Note is not null)
        {
            text["note"] = p.Note;
        }

        return text;
    }

    private static Dictionary<string, string> Notice(NoticeKind kind, Audience audience, int level, string messageId, ClockKind? clock)
    {
        var text = new Dictionary<string, string> { ["kind"] = kind.Name(), ["audience"] = audience.Name(), ["level"] = Number(level), ["messageId"] = messageId };
        if (clock is { } named)
        {
            text["clock"] = named.Name();
        }

        return text;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private delegate bool TryParser<T>(string? text, out T value);

    private static T Parse<T>(string text, string key, string where, TryParser<T> parse) =>
        parse(text, out var value) ? value : throw new InvalidDataException($"Stored event {where} has '{text}' under '{key}', which is not a {typeof(T).Name}.");

    private readonly struct Row(IReadOnlyDictionary<string, string> text, string where)
    {
        public string this[string key] =>
            text.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"Stored event {where} has no '{key}'.");

        public string? Optional(string key) => text.GetValueOrDefault(key);

        public T Parse<T>(string key, TryParser<T> parse) => EventDetailsText.Parse(this[key], key, where, parse);

        public int Number(string key) =>
            int.TryParse(this[key], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new InvalidDataException($"Stored event {where} has '{this[key]}' under '{key}', which is not a number.");

        public Instant Instant(string key) =>
            InstantPattern.ExtendedIso.Parse(this[key]) is { Success: true } parsed ? parsed.Value : throw new InvalidDataException($"Stored event {where} has '{this[key]}' under '{key}', which is not an instant.");

        /// <summary>A duration as <see cref="IsoDuration.Format"/> wrote it (whole seconds: the exact figure is the clock's own).</summary>
        public Duration Duration(string key) =>
            PeriodPattern.NormalizingIso.Parse(this[key]) is { Success: true } parsed ? parsed.Value.ToDuration() : throw new InvalidDataException($"Stored event {where} has '{this[key]}' under '{key}', which is not a duration.");

        public Audience Audience() => Parse<Audience>("audience", AudienceNames.TryParse);

        /// <summary>The officer a dispatch named: since identity, subject and name; before it, a name only, read as an unverified person (as <see cref="PersonDocument"/> reads actors).</summary>
        public Person Officer() => Optional("officerName") is { } name
            ? new Person(this["officer"], name)
            : new Person(PersonDocument.Unverified + this["officer"], this["officer"]);
    }
}
