using System.Diagnostics;
using System.Net.Sockets;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Storage;

/// <summary>
/// One of the app's tables (README, "State in tables") and what every call to it shares: creating it once,
/// and turning "storage did not answer" into <see cref="StorageUnavailableException"/>. Resolved from DI it is
/// the main table, <c>DISPATCH_TABLE</c>.
/// </summary>
public sealed class DispatchTable
{
    private readonly DependencyMonitor monitor;
    private Task? creation;

    public DispatchTable(TableServiceClient service, IOptions<DispatchSettings> settings, DependencyMonitor monitor)
        : this(service, settings.Value.TableName, monitor)
    {
    }

    public DispatchTable(TableServiceClient service, string name, DependencyMonitor monitor)
    {
        Client = service.GetTableClient(name);
        this.monitor = monitor;
    }

    public TableClient Client { get; }

    /// <summary>Runs one storage call; a failure to answer becomes <see cref="StorageUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        using var waiting = monitor.Begin(Dependencies.TableStorage);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await EnsureCreatedAsync(cancellationToken);
            T result;
            try
            {
                result = await operation();
            }
            catch (RequestFailedException e) when (e.ErrorCode == "TableNotFound")
            {
                // The table went away under us (a local emulator restarted in memory): make it again, once.
                creation = null;
                await EnsureCreatedAsync(cancellationToken);
                result = await operation();
            }

            monitor.Succeeded(Dependencies.TableStorage);
            return result;
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            // A deployment fault, not the caller's: the app's identity lacks its role on the table.
            var message = $"Table storage refused the app's credentials ({e.Status} {e.ErrorCode}): check its role assignment on the table.";
            monitor.Failed(Dependencies.TableStorage, message);
            throw new StorageUnavailableException(message, e);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            monitor.Failed(Dependencies.TableStorage, Describe(e));
            throw new StorageUnavailableException("Table storage did not answer.", e);
        }
        catch (RequestFailedException)
        {
            // 404, 409, 412…: storage answered; the caller decides what the answer means.
            monitor.Succeeded(Dependencies.TableStorage);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && Stopwatch.GetElapsedTime(started) > SlowCall)
        {
            // The caller's time budget ran out while storage kept it waiting: a frozen store looks like this.
            monitor.Failed(Dependencies.TableStorage, $"no answer within {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
            throw;
        }
    }

    /// <summary>Longer than any healthy call: a cancelled call that waited this long counts against storage.</summary>
    private static readonly TimeSpan SlowCall = TimeSpan.FromSeconds(1);

    /// <summary>The first line of the innermost error: "Connection refused (127.0.0.1:10002)".</summary>
    internal static string Describe(Exception e)
    {
        while (e.InnerException is not null && e is not SocketException)
        {
            e = e.InnerException;
        }

        var line = e.Message.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    public Task RunAsync(Func<Task> operation, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            await operation();
            return true;
        }, cancellationToken);

    /// <summary>Every row of a query, all pages.</summary>
    public Task<List<TableEntity>> QueryAsync(string filter, IEnumerable<string>? select, CancellationToken cancellationToken, int? max = null) =>
        RunAsync(async () =>
        {
            var rows = new List<TableEntity>();
            await foreach (var row in Client.QueryAsync<TableEntity>(filter, Math.Min(max ?? 1000, 1000), select, cancellationToken))
            {
                rows.Add(row);
                if (rows.Count == max)
                {
                    break;
                }
            }

            return rows;
        }, cancellationToken);

    /// <summary>Table Storage's limit on the actions of one entity-group transaction.</summary>
    public const int MaxBatchActions = 100;

    /// <summary>Batched requests in flight at once.</summary>
    private const int BatchConcurrency = 16;

    /// <summary>
    /// Runs groups of actions, each group all or nothing, in as few requests as they fit: groups of one partition share
    /// entity-group transactions of up to 100 actions (a row at most once in each), several requests at once, and a
    /// lone action goes as a plain request. When a transaction fails because a row it deletes is already gone, its
    /// actions are run one by one in their order instead (a delete of a row already gone is not an error).
    /// </summary>
    /// <remarks>When it throws, some transactions may have committed and others not; each group has committed whole or not at all.</remarks>
    public Task SubmitInBatchesAsync(IEnumerable<IReadOnlyList<TableTransactionAction>> groups, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(Pack(groups), new ParallelOptions { MaxDegreeOfParallelism = BatchConcurrency, CancellationToken = cancellationToken },
            async (actions, ct) =>
            {
                if (actions.Count > 1)
                {
                    try
                    {
                        await RunAsync(() => Client.SubmitTransactionAsync(actions, ct), ct);
                        return;
                    }
                    catch (TableTransactionFailedException e) when (e.Status == 404)
                    {
                        // Another sweep or relay removed one of the rows first: the rest still go, one by one.
                    }
                }

                foreach (var action in actions)
                {
                    await RunAsync(() => action.ActionType switch
                    {
                        TableTransactionActionType.Delete => Client.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, ct),
                        TableTransactionActionType.UpsertReplace => Client.UpsertEntityAsync(action.Entity, TableUpdateMode.Replace, ct),
                        TableTransactionActionType.UpsertMerge => Client.UpsertEntityAsync(action.Entity, TableUpdateMode.Merge, ct),
                        _ => throw new ArgumentException($"{action.ActionType} is not batched here", nameof(groups)),
                    }, ct);
                }
            });

    /// <summary>Groups of one partition into transactions of at most 100 actions, each row at most once per transaction.</summary>
    private static IEnumerable<List<TableTransactionAction>> Pack(IEnumerable<IReadOnlyList<TableTransactionAction>> groups)
    {
        foreach (var partition in groups.Where(g => g.Count > 0).GroupBy(g => g[0].Entity.PartitionKey, StringComparer.Ordinal))
        {
            var batch = new List<TableTransactionAction>();
            var rows = new HashSet<string>(StringComparer.Ordinal);
            foreach (var group in partition)
            {
                if (batch.Count > 0 && (batch.Count + group.Count > MaxBatchActions || group.Any(a => rows.Contains(a.Entity.RowKey))))
                {
                    yield return batch;
                    batch = [];
                    rows.Clear();
                }

                batch.AddRange(group);
                rows.UnionWith(group.Select(a => a.Entity.RowKey));
            }

            if (batch.Count > 0)
            {
                yield return batch;
            }
        }
    }

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        // Two callers racing here both call CreateIfNotExists, which is harmless; a failure is retried next time.
        var pending = creation ??= CreateAsync();
        try
        {
            await pending.WaitAsync(cancellationToken);
        }
        catch
        {
            _ = Interlocked.CompareExchange(ref creation, null, pending);
            throw;
        }
    }

    /// <remarks>
    /// In Azure the table comes with the deployment and the app's role is scoped to that one table, which does
    /// not cover creating tables: a 403 here means "provisioned by the deployment", and the data calls that
    /// follow show whether the role itself is there.
    /// </remarks>
    private async Task CreateAsync()
    {
        try
        {
            await Client.CreateIfNotExistsAsync(CancellationToken.None);
        }
        catch (RequestFailedException e) when (e.Status == 403)
        {
        }
    }

    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        TableTransactionFailedException => false,
        RequestFailedException r => r.Status is 0 or 408 or 500 or 502 or 503 or 504,
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException a => a.InnerExceptions.All(inner => IsUnavailable(inner, cancellationToken)),
        _ => false,
    };
}

/// <summary>
/// The due index's own table, <c>{DISPATCH_TABLE}due</c>: it is written apart from the station partitions
/// anyway (README, "Escalation"), and kept apart its range reads never pass over incident rows.
/// </summary>
public sealed class DueIndexTable(TableServiceClient service, IOptions<DispatchSettings> settings, DependencyMonitor monitor)
{
    public DispatchTable Table { get; } = new(service, settings.Value.IndexTableName, monitor);
}
