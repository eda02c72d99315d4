namespace Dispatch.Bus;

/// <summary>Keeps the message ids seen within the entity's window, so a resend is dropped silently.</summary>
internal sealed class DuplicateDetector(EntityOptions options, TimeProvider time)
{
    private readonly Dictionary<string, DateTimeOffset> seen = new(StringComparer.Ordinal);

    public bool IsDuplicate(string? messageId)
    {
        if (!options.RequiresDuplicateDetection || messageId is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        lock (seen)
        {
            if (seen.TryGetValue(messageId, out var at) && now - at < options.DuplicateDetectionHistoryTimeWindow)
            {
                return true;
            }

            seen[messageId] = now;
            return false;
        }
    }

    public void Purge()
    {
        var cutoff = time.GetUtcNow() - options.DuplicateDetectionHistoryTimeWindow;
        lock (seen)
        {
            foreach (var id in seen.Where(s => s.Value <= cutoff).Select(s => s.Key).ToList())
            {
                seen.Remove(id);
            }
        }
    }
}

internal sealed record Subscription(string Name, MessageEntity Entity, IReadOnlyList<CorrelationRule> Rules)
{
    /// <summary>No rules means every message; otherwise any one rule matching is enough.</summary>
    public bool Accepts(MessageFacts facts) => Rules.Count == 0 || Rules.Any(rule => Matches(rule, facts));

    private static bool Matches(CorrelationRule rule, MessageFacts facts) =>
        rule.SystemProperties.All(p => facts.SystemProperties.TryGetValue(p.Key, out var v) && v == p.Value)
        && rule.ApplicationProperties.All(p => facts.ApplicationProperties.TryGetValue(p.Key, out var v) && ValueEquals(v, p.Value));

    private static bool ValueEquals(object actual, object expected) => (actual, expected) switch
    {
        (string a, string e) => a == e,
        (bool a, bool e) => a == e,
        (IConvertible a, long e) when a is not string and not bool => Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture) == e,
        (IConvertible a, double e) when a is not string and not bool => Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture) == e,
        _ => Equals(actual, expected),
    };
}

/// <summary>A topic: copies each message to every subscription whose rules accept it.</summary>
internal sealed class Topic(string path, EntityOptions options, TimeProvider time)
{
    private long lastSequence;

    public string Path => path;

    public List<Subscription> Subscriptions { get; } = [];

    public DuplicateDetector Duplicates { get; } = new(options, time);

    public long Publish(StoredMessage message)
    {
        var sequence = Interlocked.Increment(ref lastSequence);
        var ttl = message.Facts.TimeToLive is { } t && t < options.DefaultMessageTimeToLive ? t : options.DefaultMessageTimeToLive;
        foreach (var subscription in Subscriptions.Where(s => s.Accepts(message.Facts)))
        {
            var copy = new StoredMessage
            {
                Encoded = message.Encoded,
                Facts = message.Facts with { TimeToLive = ttl },
                ScheduledFor = message.ScheduledFor,
            };
            subscription.Entity.Enqueue(copy, sequence);
        }

        return sequence;
    }

    public void CancelScheduled(long sequenceNumber)
    {
        foreach (var subscription in Subscriptions)
        {
            subscription.Entity.CancelScheduled(sequenceNumber);
        }
    }
}
