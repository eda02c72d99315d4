using System.Security.Cryptography;
using System.Text;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Identity;

/// <summary>
/// Keeps requests without a valid token on record without letting whoever sends them drive storage writes: one
/// audit record per source and minute, carrying the count (written when the minute's first refusal comes, and
/// again with the final count once the minute is over), and past <c>DISPATCH_UNAUTHENTICATED_LIMIT</c> refusals
/// in a minute the source is answered 429 with <c>Retry-After</c>. Per instance of the app: each instance counts
/// and limits what it sees.
/// </summary>
public sealed class RefusalLedger(IAuditTrail audit, IClock clock, IOptions<DispatchSettings> settings)
{
    /// <summary>Sources tracked at once; past this (a flood from many addresses) the rest share one line.</summary>
    public const int MaxSources = 10_000;

    private const string ManySources = "(many sources)";

    private readonly Lock gate = new();
    private readonly Dictionary<string, Minute> minutes = new(StringComparer.Ordinal);

    /// <summary>When the earliest minute kept ends: until then a flush has nothing to do and costs one comparison.</summary>
    private Instant flushDue = Instant.MaxValue;

    /// <summary>Counts a refused request; true when the source is over its limit this minute (answer 429).</summary>
    public async Task<(bool Limited, int RetryAfterSeconds)> RefuseAsync(string? source, RequestInfo request, string problem)
    {
        var now = clock.GetCurrentInstant();
        var start = Instant.FromUnixTimeSeconds(now.ToUnixTimeSeconds() / 60 * 60);
        var key = source ?? "(unknown)";
        AuditRecord? first = null;
        bool limited;
        lock (gate)
        {
            if (!minutes.ContainsKey(key) && minutes.Count >= MaxSources)
            {
                key = ManySources;
            }

            if (!minutes.TryGetValue(key, out var minute) || minute.Start != start)
            {
                minute = new Minute(key, start, request.CorrelationId);
                minutes[key] = minute;
                flushDue = Instant.Min(flushDue, start + Duration.FromMinutes(1));
                first = minute.Record(problem, request.Function, limited: false);
            }

            limited = minute.Refused + minute.Limited >= settings.Value.UnauthenticatedLimit;
            minute.Count(problem, request.Function, limited);
        }

        await FlushAsync(first is null ? [] : [first]);
        return (limited, (int)Math.Ceiling((start + Duration.FromMinutes(1) - now).TotalSeconds));
    }

    /// <summary>Writes the final count of every minute that is over; any request calls it, so a minute's count is on record soon after it ends.</summary>
    public Task FlushAsync() => FlushAsync([]);

    private async Task FlushAsync(List<AuditRecord> records)
    {
        var now = clock.GetCurrentInstant();
        lock (gate)
        {
            if (records.Count == 0 && now < flushDue)
            {
                return;
            }

            foreach (var minute in minutes.Values.Where(m => m.Start + Duration.FromMinutes(1) <= now).ToList())
            {
                minutes.Remove(minute.Source);
                if (minute.Refused + minute.Limited > 1)
                {
                    records.Add(minute.Record(minute.LastProblem, null, minute.Limited > 0));
                }
            }

            flushDue = minutes.Count == 0 ? Instant.MaxValue : minutes.Values.Min(m => m.Start) + Duration.FromMinutes(1);
        }

        foreach (var record in records)
        {
            try
            {
                await audit.RecordAsync(record, CancellationToken.None);
            }
            catch (StorageUnavailableException)
            {
                // The count is lost for this minute; the refusals were answered all the same.
            }
        }
    }

    private sealed class Minute(string source, Instant start, string correlationId)
    {
        private readonly SortedSet<string> functions = new(StringComparer.Ordinal);

        public string Source => source;

        public Instant Start => start;

        public int Refused { get; private set; }

        public int Limited { get; private set; }

        public string LastProblem { get; private set; } = "";

        public void Count(string problem, string function, bool limited)
        {
            LastProblem = problem;
            if (functions.Count < 8)
            {
                functions.Add(function);
            }

            if (limited)
            {
                Limited++;
            }
            else
            {
                Refused++;
            }
        }

        /// <summary>The minute's record: the same id every time, so the final count replaces the first.</summary>
        public AuditRecord Record(string problem, string? function, bool limited)
        {
            var id = $"refused-{start.ToUnixTimeSeconds()}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..16]}";
            var count = Math.Max(1, Refused + Limited);
            var change = $"{count} request(s) without a valid token in the minute from {start:uuuu-MM-ddTHH:mm}Z" +
                (Limited > 0 ? $" ({Limited} answered 429 over the limit)" : "") + $"; last: {problem}";
            return new AuditRecord(id, start, Person.Anonymous.Subject, Person.Anonymous.Name, [], function ?? string.Join(",", functions), null, null,
                change, AuditOutcome.AnsweredWith(limited ? 429 : 401), source == ManySources ? null : source, correlationId) { Count = count };
        }
    }
}
