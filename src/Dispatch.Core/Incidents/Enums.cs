namespace Dispatch.Core.Incidents;

public enum Priority { P1 = 1, P2, P3, P4 }

public enum Zone { Urban, Suburban, Rural }

public enum Channel { Phone, WalkIn, Patrol, Online, Referral }

public enum IncidentStatus { Reported, Dispatched, OnScene, Resolved, Closed, Cancelled }

public enum ClockKind { Dispatch, Arrival, Resolution }

/// <summary>Running until met or past its deadline; Stopped when the incident was cancelled first.</summary>
public enum ClockState { Running, Met, Breached, Stopped }

public enum EventKind { Reported, Dispatched, Reassigned, OnScene, Resolved, Closed, Cancelled, Warned, Escalated, Acknowledged, Notified }

/// <summary>What a person may ask of an incident (each a POST route of the API); reads are not actions.</summary>
public enum IncidentAction { Dispatch, Reassign, Arrive, Resolve, Close, Cancel, Acknowledge }

/// <summary>What a notice is: a pre-breach warning, a rung of the escalation ladder, or a major matter reported at once.</summary>
public enum NoticeKind { Warning, Escalation, Immediate }

/// <summary>The names these values have on the wire and in stored rows: kebab-case, never the C# names.</summary>
public static class WireNames
{
    private static readonly Dictionary<Priority, string> PriorityNames = Enum.GetValues<Priority>().ToDictionary(p => p, p => p.ToString());

    private static readonly Dictionary<Zone, string> ZoneNames = new()
    {
        [Zone.Urban] = "urban", [Zone.Suburban] = "suburban", [Zone.Rural] = "rural",
    };

    private static readonly Dictionary<Channel, string> ChannelNames = new()
    {
        [Channel.Phone] = "phone", [Channel.WalkIn] = "walk-in", [Channel.Patrol] = "patrol",
        [Channel.Online] = "online", [Channel.Referral] = "referral",
    };

    private static readonly Dictionary<IncidentStatus, string> StatusNames = new()
    {
        [IncidentStatus.Reported] = "reported", [IncidentStatus.Dispatched] = "dispatched",
        [IncidentStatus.OnScene] = "on-scene", [IncidentStatus.Resolved] = "resolved",
        [IncidentStatus.Closed] = "closed", [IncidentStatus.Cancelled] = "cancelled",
    };

    private static readonly Dictionary<ClockKind, string> ClockNames = new()
    {
        [ClockKind.Dispatch] = "dispatch", [ClockKind.Arrival] = "arrival", [ClockKind.Resolution] = "resolution",
    };

    private static readonly Dictionary<ClockState, string> ClockStateNames = new()
    {
        [ClockState.Running] = "running", [ClockState.Met] = "met",
        [ClockState.Breached] = "breached", [ClockState.Stopped] = "stopped",
    };

    private static readonly Dictionary<EventKind, string> EventNames = new()
    {
        [EventKind.Reported] = "reported", [EventKind.Dispatched] = "dispatched", [EventKind.Reassigned] = "reassigned", [EventKind.OnScene] = "on-scene",
        [EventKind.Resolved] = "resolved", [EventKind.Closed] = "closed", [EventKind.Cancelled] = "cancelled",
        [EventKind.Warned] = "warned", [EventKind.Escalated] = "escalated", [EventKind.Acknowledged] = "acknowledged",
        [EventKind.Notified] = "notified",
    };

    private static readonly Dictionary<NoticeKind, string> NoticeNames = new()
    {
        [NoticeKind.Warning] = "warning", [NoticeKind.Escalation] = "escalation", [NoticeKind.Immediate] = "immediate",
    };

    private static readonly Dictionary<IncidentAction, string> ActionNames = new()
    {
        [IncidentAction.Dispatch] = "dispatch", [IncidentAction.Reassign] = "reassign", [IncidentAction.Arrive] = "arrive",
        [IncidentAction.Resolve] = "resolve", [IncidentAction.Close] = "close", [IncidentAction.Cancel] = "cancel",
        [IncidentAction.Acknowledge] = "acknowledge",
    };

    public static string Name(this Priority value) => value.ToString();

    /// <summary>The action's name in an incident's <c>actions</c> and in its route (<c>/incidents/{id}/{name}</c>).</summary>
    public static string Name(this IncidentAction value) => ActionNames[value];

    public static string Name(this Zone value) => ZoneNames[value];

    public static string Name(this Channel value) => ChannelNames[value];

    public static string Name(this IncidentStatus value) => StatusNames[value];

    public static string Name(this ClockKind value) => ClockNames[value];

    public static string Name(this ClockState value) => ClockStateNames[value];

    public static string Name(this EventKind value) => EventNames[value];

    public static string Name(this NoticeKind value) => NoticeNames[value];

    public static bool TryParse(string? text, out Priority value) => TryFind(text, PriorityNames, out value);

    public static bool TryParse(string? text, out Zone value) => TryFind(text, ZoneNames, out value);

    public static bool TryParse(string? text, out Channel value) => TryFind(text, ChannelNames, out value);

    public static bool TryParse(string? text, out IncidentStatus value) => TryFind(text, StatusNames, out value);

    public static bool TryParse(string? text, out EventKind value) => TryFind(text, EventNames, out value);

    public static bool TryParse(string? text, out NoticeKind value) => TryFind(text, NoticeNames, out value);

    public static bool TryParse(string? text, out ClockKind value) => TryFind(text, ClockNames, out value);

    public static IEnumerable<string> Names<T>()
        where T : struct, Enum => typeof(T) switch
        {
            var t when t == typeof(Priority) => PriorityNames.Values,
            var t when t == typeof(Zone) => ZoneNames.Values,
            var t when t == typeof(Channel) => ChannelNames.Values,
            var t when t == typeof(IncidentStatus) => StatusNames.Values,
            var t when t == typeof(ClockKind) => ClockNames.Values,
            var t when t == typeof(IncidentAction) => ActionNames.Values,
            _ => throw new ArgumentOutOfRangeException(nameof(T)),
        };

    private static bool TryFind<T>(string? text, Dictionary<T, string> names, out T value)
        where T : struct
    {
        foreach (var (key, name) in names)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                value = key;
                return true;
            }
        }

        value = default;
        return false;
    }
}
