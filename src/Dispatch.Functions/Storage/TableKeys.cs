using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Every partition and row key the app writes (README, "State in tables"). A station's partition holds all
/// that must change together: the incident, its events, its list entry, its outbox, its idempotency records,
/// the audit records of requests that changed it, and the station's roster.
/// </summary>
internal static class TableKeys
{
    /// <summary>Stations that have reported an incident or have a roster.</summary>
    public const string StationsPartition = "_stations";

    /// <summary>The property of a <see cref="StationsPartition"/> row holding when the station first had anything.</summary>
    public const string StationSince = "Since";

    /// <summary>Audit records of requests that named no station (a refused token, a read of the audit trail).</summary>
    public const string GlobalAuditPartition = "_audit";

    /// <summary>The row a station's every change touches, so a board can ask "anything new?" with one point read.</summary>
    public const string StationVersionRow = "_version";

    public static string IncidentRow(IncidentId id) => $"incident|{NewestFirst(id)}|{id.Value}";

    public static string OpenRow(IncidentId id) => $"open|{NewestFirst(id)}|{id.Value}";

    /// <summary>
    /// Incident rows reported in [from, until), as exclusive bounds (<c>RowKey gt After and RowKey lt Before</c>):
    /// keys are newest first, so "until" gives the lower bound.
    /// </summary>
    /// <remarks>Incident ids are ULIDs, which start in 1970: a range reaching back before then starts there.</remarks>
    public static (string After, string Before) IncidentRange(Instant from, Instant until) =>
        ($"incident|{NewestFirstMilliseconds(Math.Max(0, until.ToUnixTimeMilliseconds()))}|~", $"incident|{NewestFirstMilliseconds(Math.Max(0, from.ToUnixTimeMilliseconds()))}|~");

    /// <summary>A station-day's digest (README, "Reports"); ISO dates sort as the days do.</summary>
    public static string DigestRow(LocalDate day) => $"digest|{day.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)}";

    public static LocalDate DigestDay(string row) => NodaTime.Text.LocalDatePattern.Iso.Parse(row["digest|".Length..]).Value;

    /// <summary>The partition of one day's copies of every station's digest, a row per station (README, "Reports", day digests).</summary>
    public static string DigestCopies(LocalDate day) => $"digestday|{day.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)}";

    public static string EventRow(IncidentId id, int sequence) => $"event|{id.Value}|{sequence:D6}";

    public static string EventPrefix(IncidentId id) => $"event|{id.Value}|";

    public static string OutboxRow(Notice notice) => $"outbox|{notice.MessageId}";

    /// <summary>All of one incident's outbox rows: message ids start with the incident id and a colon.</summary>
    public static (string From, string To) OutboxRange(IncidentId id) => ($"outbox|{id.Value}:", $"outbox|{id.Value};");

    public static string IdempotencyRow(string key) => $"idempotency|{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";

    public static string AuditRow(Instant at, string requestId) => $"audit|{NewestFirst(at)}|{requestId}";

    /// <summary>Audit rows of [from, until), as exclusive bounds, newest first.</summary>
    public static (string After, string Before) AuditRange(Instant from, Instant until) => ($"audit|{NewestFirst(until)}|~", $"audit|{NewestFirst(from)}|~");

    public static string RosterRow(string subject) => $"roster|{subject}";

    /// <summary>A unit of the station: its key is its id in lower case (units match in any case, as on the roster), escaped for a row key.</summary>
    public static string UnitRow(string unit) => $"unit|{UnitKey(unit)}";

    /// <summary>One change of a unit's status, newest first; the suffix keeps two changes in one tick apart (in no particular order).</summary>
    public static string UnitLogRow(string unit, Instant at) => $"unitlog|{UnitKey(unit)}|{NewestFirst(at)}|{Guid.NewGuid():N}";

    public static string UnitLogPrefix(string unit) => $"unitlog|{UnitKey(unit)}|";

    /// <summary>A unit's latest position.</summary>
    public static string PositionRow(string unit) => $"pos|{UnitKey(unit)}";

    /// <summary>One point of a unit's trail, newest first.</summary>
    public static string TrailRow(string unit, Instant at) => $"trail|{UnitKey(unit)}|{NewestFirst(at)}|{Guid.NewGuid():N}";

    /// <summary>
    /// A unit's trail as exclusive bounds: <c>Newer</c> gives the points at or after <paramref name="keepFrom"/>
    /// (<c>RowKey gt Start and RowKey lt Newer</c>), <c>Older</c> those before it (<c>RowKey gt Older and RowKey lt End</c>).
    /// </summary>
    public static (string Start, string Boundary, string End) TrailRange(string unit, Instant keepFrom) =>
        ($"trail|{UnitKey(unit)}|", $"trail|{UnitKey(unit)}|{NewestFirst(keepFrom)}|~", $"trail|{UnitKey(unit)}|~");

    private static string UnitKey(string unit) => Uri.EscapeDataString(unit.ToLowerInvariant());

    public static string MemberPartition(string subject) => $"member|{subject}";

    public static string AuditByPartition(string subject) => $"auditby|{subject}";

    public static string AuditByRow(Instant at, string requestId) => $"{NewestFirst(at)}|{requestId}";

    public static (string After, string Before) AuditByRange(Instant from, Instant until) => ($"{NewestFirst(until)}|~", $"{NewestFirst(from)}|~");

    public static string DuePartition(DueReason reason, int shard) => $"{(reason == DueReason.Clock ? "due" : "outbox")}-{shard}";

    public static string DueRow(DueEntry entry) =>
        $"{Ticks(entry.At)}|{entry.Incident.Value}|{(entry.Reason == DueReason.Clock ? "clock" : entry.Key)}";

    /// <summary>Every entry at or before <paramref name="now"/> sorts below this key.</summary>
    public static string DueUpTo(Instant now) => Ticks(now + Duration.FromTicks(1));

    /// <summary>A stable spread of incidents over the index's partitions (FNV-1a of the id).</summary>
    public static int ShardOf(IncidentId id, int shards)
    {
        var hash = 2166136261u;
        foreach (var c in id.Value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)shards);
    }

    private static string Ticks(Instant at) => at.ToUnixTimeTicks().ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Newest first by the id's own timestamp, so a point read can compute the key from the id alone.</summary>
    private static string NewestFirst(IncidentId id) => NewestFirstMilliseconds(id.Timestamp.ToUnixTimeMilliseconds());

    /// <summary>
    /// Newest first for any instant: from 1970 on, the ticks counted down from <see cref="long.MaxValue"/> (19 digits,
    /// the keys stored ever since); before 1970, ':' (which sorts after every digit) and the ticks before 1970,
    /// so older still sorts later. Counting down from the maximum overflowed there, and a range reaching back
    /// before 1970 found nothing (issue 23).
    /// </summary>
    private static string NewestFirst(Instant at)
    {
        var ticks = at.ToUnixTimeTicks();
        return ticks >= 0
            ? (long.MaxValue - ticks).ToString("D19", CultureInfo.InvariantCulture)
            : ":" + (-ticks).ToString("D19", CultureInfo.InvariantCulture);
    }

    private static string NewestFirstMilliseconds(long milliseconds) => (long.MaxValue - milliseconds).ToString("D19", CultureInfo.InvariantCulture);
}
