using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Policy;

/// <summary>The three response windows of one incident, and the business hours they count in (null: round the clock).</summary>
public sealed record ClockTargets(Duration Dispatch, Duration Arrival, Duration Resolution, BusinessCalendar? Calendar = null);

/// <summary>Targets of one priority; <see cref="ZoneFactors"/> overrides the policy's zone factors when set.</summary>
public sealed record PriorityTargets(Duration Dispatch, Duration Arrival, Duration Resolution, IReadOnlyDictionary<Zone, double>? ZoneFactors)
{
    /// <summary>The business hours its clocks run in (issue 28; meant for P4); null, the default, runs them round the clock.</summary>
    public BusinessCalendar? BusinessHours { get; init; }
}

public enum Audience { DutyOfficer, Chief, CommandCenter }

public sealed record EscalationLevel(int Level, Duration After, Audience To);

public sealed record ImmediateRule(IReadOnlySet<string> Categories, Audience To);

/// <summary>
/// Response targets per priority and zone, the warning and escalation rules the sweep follows, and the language
/// the stations' messages are written in.
/// </summary>
public sealed record ResponsePolicy(
    string Version,
    DateTimeZone TimeZone,
    IReadOnlyDictionary<Priority, PriorityTargets> Priorities,
    IReadOnlyDictionary<Zone, double> ZoneFactors,
    IReadOnlyList<double> WarnAt,
    IReadOnlyList<EscalationLevel> Escalation,
    ImmediateRule Immediate,
    ReportRules? Reports = null,
    UnitRules? Units = null,
    Language Language = Language.ZhCn,
    IReadOnlyDictionary<StationId, Language>? StationLanguages = null,
    PauseRules? Pauses = null)
{
    /// <summary>The language a station's people read: its own in <see cref="StationLanguages"/>, else the policy's.</summary>
    public Language LanguageOf(StationId station) =>
        StationLanguages is not null && StationLanguages.TryGetValue(station, out var language) ? language : Language;

    /// <summary>How reports cut days and bucket durations; the defaults when the policy says nothing.</summary>
    public ReportRules ReportRules => Reports ?? ReportRules.Default;

    /// <summary>How long unit positions count and are kept; the defaults when the policy says nothing.</summary>
    public UnitRules UnitRules => Units ?? UnitRules.Default;

    /// <summary>Why a clock may be paused and for how long at most; the four standard reasons when the policy says nothing.</summary>
    public PauseRules PauseRules => Pauses ?? PauseRules.Default;

    /// <summary>The targets an incident of this priority and zone starts with.</summary>
    /// <remarks>Only the arrival window depends on the zone: travel distance is what differs.</remarks>
    public ClockTargets TargetsFor(Priority priority, Zone zone)
    {
        var targets = Priorities[priority];
        var factor = (targets.ZoneFactors ?? ZoneFactors)[zone];
        var arrival = Duration.FromSeconds(Math.Round(targets.Arrival.TotalSeconds * factor));
        return new ClockTargets(targets.Dispatch, arrival, targets.Resolution, targets.BusinessHours);
    }

    public bool IsImmediate(string category) => Immediate.Categories.Contains(category);

    public EscalationPlan Plan => new(WarnAt, Escalation);

    /// <summary>
    /// Built-in defaults (see README, "Response policy"): China 110 arrival norms of 5 / 10 / 15 minutes for
    /// urban / suburban / rural emergencies, and NFPA 1225's 60-second call processing for P1.
    /// </summary>
    public static ResponsePolicy Default { get; } = new(
        Version: "builtin-2026-11",
        TimeZone: DateTimeZoneProviders.Tzdb["Asia/Shanghai"],
        Priorities: new Dictionary<Priority, PriorityTargets>
        {
            [Priority.P1] = new(Duration.FromMinutes(1), Duration.FromMinutes(5), Duration.FromHours(2), null),
            [Priority.P2] = new(Duration.FromMinutes(3), Duration.FromMinutes(10), Duration.FromHours(8), null),
            [Priority.P3] = new(Duration.FromMinutes(15), Duration.FromMinutes(30), Duration.FromDays(3), null),
            [Priority.P4] = new(Duration.FromHours(1), Duration.FromHours(24), Duration.FromDays(7), new Dictionary<Zone, double>
            {
                [Zone.Urban] = 1, [Zone.Suburban] = 1, [Zone.Rural] = 1,
            }),
        },
        ZoneFactors: new Dictionary<Zone, double> { [Zone.Urban] = 1, [Zone.Suburban] = 2, [Zone.Rural] = 3 },
        WarnAt: [0.5, 0.75],
        Escalation:
        [
            new EscalationLevel(1, Duration.Zero, Audience.DutyOfficer),
            new EscalationLevel(2, Duration.FromMinutes(2), Audience.Chief),
            new EscalationLevel(3, Duration.FromMinutes(10), Audience.CommandCenter),
        ],
        Immediate: new ImmediateRule(
            new HashSet<string>(["homicide", "mass-incident", "fire-casualty"], StringComparer.OrdinalIgnoreCase),
            Audience.Chief));
}

/// <summary>
/// The warning points and escalation ladder an incident follows. Copied onto the incident when it is
/// reported, so a later policy change never alters how an open incident escalates.
/// </summary>
public sealed record EscalationPlan(IReadOnlyList<double> WarnAt, IReadOnlyList<EscalationLevel> Ladder)
{
    public Audience AudienceOf(int level) => Ladder[level - 1].To;
}

/// <summary>
/// Audiences by their wire names: <c>duty-officer</c>, <c>chief</c>, <c>command-center</c>. Matched exactly: each
/// is also the name of a subscription whose filter compares the message's <c>audience</c> property case-sensitively,
/// so a policy that said <c>Chief</c> would send to nobody.
/// </summary>
public static class AudienceNames
{
    private static readonly NameTable<Audience> Names = new(StringComparison.Ordinal, new Dictionary<Audience, string>
    {
        [Audience.DutyOfficer] = "duty-officer", [Audience.Chief] = "chief", [Audience.CommandCenter] = "command-center",
    });

    public static IEnumerable<string> All => Names.Names;

    public static string Name(this Audience audience) => Names.Name(audience);

    public static bool TryParse(string? text, out Audience audience) => Names.TryParse(text, out audience);

    public static Audience Parse(string text) =>
        TryParse(text, out var audience) ? audience : throw new FormatException($"'{text}' is not an audience.");
}

/// <summary>
/// How reports are cut: a station's day starts at <see cref="DayStartsAt"/> in the policy's time zone (110
/// statistics are cut at 08:00), and each clock's durations are counted in buckets between these edges.
/// </summary>
public sealed record ReportRules(LocalTime DayStartsAt, IReadOnlyDictionary<ClockKind, IReadOnlyList<Duration>> BucketEdges)
{
    public static ReportRules Default { get; } = new(new LocalTime(8, 0), new Dictionary<ClockKind, IReadOnlyList<Duration>>
    {
        [ClockKind.Dispatch] = [Duration.FromSeconds(30), Duration.FromMinutes(1), Duration.FromMinutes(2), Duration.FromMinutes(3)],
        [ClockKind.Arrival] = [Duration.FromMinutes(5), Duration.FromMinutes(10), Duration.FromMinutes(15), Duration.FromMinutes(30)],
        [ClockKind.Resolution] = [Duration.FromHours(1), Duration.FromHours(2), Duration.FromHours(8), Duration.FromHours(24)],
    });
}

/// <summary>
/// Unit positions and the recommendation: older than <paramref name="StaleAfter"/> a position is shown as stale rather
/// than trusted (devices report every 5-30 s); a unit's trail is kept <paramref name="TrailRetention"/> and no longer
/// (行踪轨迹 is sensitive personal information under PIPL art. 28: keep it short). Travel time is estimated as the
/// straight-line distance × <paramref name="RoadFactor"/> ÷ the zone's speed (README, "Response policy", for the
/// sources of the defaults).
/// </summary>
/// <param name="ArrivalRadiusMeters">An arrival this close to the incident's coordinates (plus the device's accuracy) is verified: it absorbs geocoding error of a reported address, a few hundred metres in dense districts.</param>
public sealed record UnitRules(Duration StaleAfter, Duration TrailRetention, double RoadFactor, IReadOnlyDictionary<Zone, double> SpeedsKmh, double ArrivalRadiusMeters = 300)
{
    public static UnitRules Default { get; } = new(Duration.FromMinutes(2), Duration.FromHours(24), 1.3, new Dictionary<Zone, double>
    {
        [Zone.Urban] = 30, [Zone.Suburban] = 45, [Zone.Rural] = 60,
    });
}

/// <summary>A reason a clock may be paused for (its wire name), and the longest a pause for it lasts before the clock resumes by itself.</summary>
public sealed record PauseReason(string Name, Duration MaxPause);

/// <summary>
/// Why a response clock may stop for what no officer controls (issue 28): the reasons, each with its maximum
/// pause, and after how long a pause the station's chief is told of it. A station's policy adds reasons to the
/// standard four, or changes their maximum.
/// </summary>
public sealed record PauseRules(IReadOnlyList<PauseReason> Reasons, Duration TellChiefAfter)
{
    /// <summary>The maximum pause of a reason the policy does not give one (README, "Pausing a clock").</summary>
    public static readonly Duration DefaultMaxPause = Duration.FromMinutes(30);

    /// <summary>
    /// The 110 handling rules ask that delays nobody controls be reported back, not hidden (art. 23): an unreachable
    /// reporter, a closed road, a scene not safe to enter, a specialist unit on its way.
    /// </summary>
    public static readonly IReadOnlyList<string> StandardReasons = ["reporter-unreachable", "road-closed", "scene-unsafe", "awaiting-specialist"];

    public static PauseRules Default { get; } = new([.. StandardReasons.Select(r => new PauseReason(r, DefaultMaxPause))], Duration.FromMinutes(20));

    public PauseReason? Find(string? name) => Reasons.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.Ordinal));
}
