using Dispatch.Core.Incidents;
using NodaTime;

namespace Dispatch.Core.Tests.Doubles;

/// <summary>The due index as a set, counting what the sweep asks of it.</summary>
public sealed class InMemoryIndex : IDueIndex
{
    private readonly object gate = new();
    private readonly HashSet<DueEntry> held = [];

    public int Queries { get; private set; }

    /// <summary>Called before an entry is written or removed; throw to fail it.</summary>
    public Func<DueEntry?, DueEntry?, Task>? BeforeChange { get; set; }

    public IReadOnlyList<DueEntry> Entries
    {
        get
        {
            lock (gate)
            {
                return [.. held.OrderBy(e => e.At)];
            }
        }
    }

    public IReadOnlyList<DueEntry> Of(IncidentId id) => [.. Entries.Where(e => e.Incident == id)];

    /// <summary>Calls of <see cref="AddAsync"/>.</summary>
    public int Adds { get; private set; }

    public async Task AddAsync(IReadOnlyList<DueEntry> entries, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Adds++;
        }

        foreach (var entry in entries)
        {
            if (BeforeChange is { } hook)
            {
                await hook(null, entry);
            }

            lock (gate)
            {
                held.Add(entry);
            }
        }
    }

    public Task<IReadOnlyList<DueEntry>> DueAsync(Instant now, int max, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Queries++;
            return Task.FromResult<IReadOnlyList<DueEntry>>([.. held.Where(e => e.At <= now).OrderBy(e => e.At).Take(max)]);
        }
    }

    public async Task ReplaceAsync(DueEntry old, DueEntry? replacement, CancellationToken cancellationToken)
    {
        if (BeforeChange is { } hook)
        {
            await hook(old, replacement);
        }

        lock (gate)
        {
            if (replacement is not null)
            {
                held.Add(replacement);
            }

            if (replacement != old)
            {
                held.Remove(old);
            }
        }
    }

    /// <summary>One replacement after another, each through <see cref="BeforeChange"/>: a failure stops the rest, as a failed request of a batch would.</summary>
    public async Task ReplaceAllAsync(IReadOnlyList<DueReplacement> replacements, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Batches++;
        }

        foreach (var (old, replacement) in replacements)
        {
            await ReplaceAsync(old, replacement, cancellationToken);
        }
    }

    /// <summary>Calls of <see cref="ReplaceAllAsync"/>.</summary>
    public int Batches { get; private set; }

    public Task<(int Count, Instant? OldestSince)> PendingNoticesAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var notices = held.Where(e => e.Reason == DueReason.Notices).ToList();
            return Task.FromResult((notices.Count, notices.Select(e => e.Since).Where(s => s is not null).DefaultIfEmpty(null).Min()));
        }
    }
}
