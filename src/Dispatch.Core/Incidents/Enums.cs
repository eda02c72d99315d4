using Dispatch.Core.Reports;

namespace Dispatch.Core.Incidents;

public enum Priority { P1 = 1, P2, P3, P4 }

public enum Zone { Urban, Suburban, Rural }

public enum Channel { Phone, WalkIn, Patrol, Online, Referral }

public enum IncidentStatus { Reported, Dispatched, OnScene, Resolved, Closed, Cancelled }

public enum ClockKind { Dispatch, Arrival, Resolution }

/// <summary>Running until met or past its deadline; Stopped when the incident was cancelled first.</summary>
public enum ClockState { Running, Met, Breached, Stopped }

/// <summary>
/// What a notice is: a pre-breach warning, a rung of the escalation ladder, a major matter reported at once, or a
/// clock paused longer than the policy's limit (to the chief, issue 28).
/// </summary>
public enum NoticeKind { Warning, Escalation, Immediate, LongPause }

/// <summary>
/// The names these values have on the wire and in stored rows: kebab-case, never the C# names. Read back in
/// any letter case: they are typed by people into requests and query strings (<c>p1</c>, <c>Urban</c>). The names
/// of event kinds and actions are in <c>Milestones.cs</c>, beside what each kind and action is.
/// </summary>
public static partial class WireNames
{
    private static readonly NameTable<Priority> Priorities = Table(new Dictionary<Priority, string>
    {
        [Priority.P1] = "P1", [Priority.P2] = "P2", [Priority.P3] = "P3", [Priority.P4] = "P4",
    });

    private static readonly NameTable<Zone> Zones = Table(new Dictionary<Zone, string>
    {
        [Zone.Urban] = "urban", [Zone.Suburban] = "suburban", [Zone.Rural] = "rural",
    });

    private static readonly NameTable<Channel> Channels = Table(new Dictionary<Channel, string>
    {
        [Channel.Phone] = "phone", [Channel.WalkIn] = "walk-in", [Channel.Patrol] = "patrol",
        [Channel.Online] = "online", [Channel.Referral] = "referral",
    });

    private static readonly NameTable<IncidentStatus> Statuses = Table(new Dictionary<IncidentStatus, string>
    {
        [IncidentStatus.Reported] = "reported", [IncidentStatus.Dispatched] = "dispatched",
        [IncidentStatus.OnScene] = "on-scene", [IncidentStatus.Resolved] = "resolved",
        [IncidentStatus.Closed] = "closed", [IncidentStatus.Cancelled] = "cancelled",
    });

    private static readonly NameTable<ClockKind> Clocks = Table(new Dictionary<ClockKind, string>
    {
        [ClockKind.Dispatch] = "dispatch", [ClockKind.Arrival] = "arrival", [ClockKind.Resolution] = "resolution",
    });

    private static readonly NameTable<ClockState> ClockStates = Table(new Dictionary<ClockState, string>
    {
        [ClockState.Running] = "running", [ClockState.Met] = "met",
        [ClockState.Breached] = "breached", [ClockState.Stopped] = "stopped",
    });

    private static readonly NameTable<ClockResult> ClockResults = Table(new Dictionary<ClockResult, string>
    {
        [ClockResult.Met] = "met", [ClockResult.Breached] = "breached", [ClockResult.Stopped] = "stopped",
    });

    private static readonly NameTable<HolderKind> Holders = Table(new Dictionary<HolderKind, string>
    {
        [HolderKind.Dispatcher] = "dispatcher", [HolderKind.Unit] = "unit",
    });

    private static readonly NameTable<NoticeKind> Notices = Table(new Dictionary<NoticeKind, string>
    {
        [NoticeKind.Warning] = "warning", [NoticeKind.Escalation] = "escalation", [NoticeKind.Immediate] = "immediate", [NoticeKind.LongPause] = "long-pause",
    });

    private static readonly NameTable<StatusFilter> StatusFilters = Table(new Dictionary<StatusFilter, string>
    {
        [StatusFilter.Any] = "any", [StatusFilter.Open] = "open", [StatusFilter.Overdue] = "overdue", [StatusFilter.Closed] = "closed",
    });

    private static readonly NameTable<GroupBy> Groupings = Table(new Dictionary<GroupBy, string>
    {
        [GroupBy.Priority] = "priority", [GroupBy.Zone] = "zone", [GroupBy.Category] = "category", [GroupBy.Unit] = "unit",
        [GroupBy.Officer] = "officer", [GroupBy.Dispatcher] = "dispatcher", [GroupBy.Hour] = "hour", [GroupBy.Day] = "day",
        [GroupBy.Weekday] = "weekday", [GroupBy.Station] = "station",
    });

    public static string Name(this Priority value) => Priorities.Name(value);

    public static string Name(this Zone value) => Zones.Name(value);

    public static string Name(this Channel value) => Channels.Name(value);

    public static string Name(this IncidentStatus value) => Statuses.Name(value);

    public static string Name(this ClockKind value) => Clocks.Name(value);

    public static string Name(this ClockState value) => ClockStates.Name(value);

    public static string Name(this ClockResult value) => ClockResults.Name(value);

    public static string Name(this HolderKind value) => Holders.Name(value);

    public static string Name(this NoticeKind value) => Notices.Name(value);

    public static string Name(this StatusFilter value) => StatusFilters.Name(value);

    public static string Name(this GroupBy value) => Groupings.Name(value);

    public static bool TryParse(string? text, out Priority value) => Priorities.TryParse(text, out value);

    public static bool TryParse(string? text, out Zone value) => Zones.TryParse(text, out value);

    public static bool TryParse(string? text, out Channel value) => Channels.TryParse(text, out value);

    public static bool TryParse(string? text, out IncidentStatus value) => Statuses.TryParse(text, out value);

    public static bool TryParse(string? text, out ClockResult value) => ClockResults.TryParse(text, out value);

    public static bool TryParse(string? text, out HolderKind value) => Holders.TryParse(text, out value);

    public static bool TryParse(string? text, out NoticeKind value) => Notices.TryParse(text, out value);

    public static bool TryParse(string? text, out ClockKind value) => Clocks.TryParse(text, out value);

    public static bool TryParse(string? text, out StatusFilter value) => StatusFilters.TryParse(text, out value);

    public static bool TryParse(string? text, out GroupBy value) => Groupings.TryParse(text, out value);

    public static IEnumerable<string> Names<T>()
        where T : struct, Enum => typeof(T) switch
        {
            var t when t == typeof(Priority) => Priorities.Names,
            var t when t == typeof(Zone) => Zones.Names,
            var t when t == typeof(Channel) => Channels.Names,
            var t when t == typeof(IncidentStatus) => Statuses.Names,
            var t when t == typeof(ClockKind) => Clocks.Names,
            var t when t == typeof(IncidentAction) => Actions.Names,
            _ => throw new ArgumentOutOfRangeException(nameof(T)),
        };

    private static NameTable<T> Table<T>(Dictionary<T, string> names)
        where T : struct, Enum => new(StringComparison.OrdinalIgnoreCase, names);
}
