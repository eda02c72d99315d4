using System.Security.Cryptography;
using System.Text;
using Dispatch.Core.Audit;
using Dispatch.Core.Incidents;
using Microsoft.Extensions.Hosting;
using NodaTime;

namespace Dispatch.Functions.Identity;

/// <summary>
/// A board's unchanged polls on record without a write per poll: a poll answered 304 is counted here, and once its
/// hour is over one audit record per person, station and hour says how many there were, with the first and the last.
/// </summary>
/// <remarks>
/// A 304 shows nothing: the board already holds what it would have read, and that read, the 200 with the list, was
/// audited as every read is. What the polls still tell is that the person was watching, which an hour's summary says
/// as well as 3,600 rows. The counts live in memory until the hour is over (or the app stops): an instance that
/// crashes loses its current hour's counts, never a record of what anyone read.
/// </remarks>
public sealed class PollLedger(IAuditTrail audit, IClock clock) : IHostedService
{
    private static readonly Duration Hour = Duration.FromHours(1);

    private readonly Lock gate = new();
    private readonly Dictionary<(string Subject, StationId Station, Instant Hour), Polls> hours = [];
    private Instant flushDue = Instant.MaxValue;
    private Task flushing = Task.CompletedTask;

    /// <summary>Counts one unchanged poll; no I/O.</summary>
    public void Count(ApiCall call)
    {
        if (call.Station is not { } station)
        {
            return;
        }

        var now = clock.GetCurrentInstant();
        var hour = Instant.FromUnixTimeSeconds(now.ToUnixTimeSeconds() / 3600 * 3600);
        lock (gate)
        {
            var key = (call.Person.Subject, station, hour);
            if (!hours.TryGetValue(key, out var polls))
            {
                hours[key] = polls = new Polls(call.Record(AuditOutcome.AnsweredWith(304)));
                flushDue = Instant.Min(flushDue, hour + Hour);
            }

            polls.Count(now);
        }
    }

    /// <summary>Starts writing the records of the hours that are over, once they are; any request calls it, none waits for the writes.</summary>
    public void FlushWhenDue()
    {
        if (clock.GetCurrentInstant() < flushDue)
        {
            return;
        }

        lock (gate)
        {
            if (flushing.IsCompleted)
            {
                flushing = Task.Run(() => FlushAsync(everything: false));
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The hour under way is written when the app stops, so a deployment or a scale-in loses nothing.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await flushing;
        await FlushAsync(everything: true).WaitAsync(cancellationToken);
    }

    private async Task FlushAsync(bool everything)
    {
        var now = clock.GetCurrentInstant();
        List<AuditRecord> records;
        lock (gate)
        {
            var over = hours.Where(h => everything || h.Key.Hour + Hour <= now).ToList();
            records = [.. over.Select(h => h.Value.Record(h.Key))];
            foreach (var (key, _) in over)
            {
                hours.Remove(key);
            }

            flushDue = hours.Count == 0 ? Instant.MaxValue : hours.Keys.Min(k => k.Hour) + Hour;
        }

        // A few at a time: an hour of a province's boards is thousands of records, and requests go on meanwhile.
        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (record, _) =>
        {
            try
            {
                await audit.RecordAsync(record, CancellationToken.None);
            }
            catch (StorageUnavailableException)
            {
                // This summary is lost; the polls were answered all the same, and nothing they showed goes unrecorded.
            }
        });
    }

    private sealed class Polls(AuditRecord first)
    {
        private int count;
        private Instant last;

        public void Count(Instant at)
        {
            count++;
            last = at;
        }

        /// <summary>The hour's record: the same id whenever it is written, so a second write replaces the first.</summary>
        public AuditRecord Record((string Subject, StationId Station, Instant Hour) key) => first with
        {
            Id = $"polls-{key.Hour.ToUnixTimeSeconds()}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{key.Subject}|{key.Station.Value}")))[..16]}",
            Change = $"{count} unchanged poll(s) answered 304 ({first.Change}), the first at {first.At:HH:mm:ss}Z, the last at {last:HH:mm:ss}Z",
            Count = count,
        };
    }
}
