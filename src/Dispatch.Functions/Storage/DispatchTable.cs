using System.Net.Sockets;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
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
    private Task? creation;

    public DispatchTable(TableServiceClient service, IOptions<DispatchSettings> settings)
        : this(service, settings.Value.TableName)
    {
    }

    public DispatchTable(TableServiceClient service, string name) => Client = service.GetTableClient(name);

    public TableClient Client { get; }

    /// <summary>Runs one storage call; a failure to answer becomes <see cref="StorageUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureCreatedAsync(cancellationToken);
            return await operation();
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            // A deployment fault, not the caller's: the app's identity lacks its role on the table.
            throw new StorageUnavailableException($"Table storage refused the app's credentials ({e.Status} {e.ErrorCode}): check its role assignment on the table.", e);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            throw new StorageUnavailableException("Table storage did not answer.", e);
        }
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
/// anyway (README, "The due index"), and kept apart its range reads never pass over incident rows.
/// </summary>
public sealed class DueIndexTable(TableServiceClient service, IOptions<DispatchSettings> settings)
{
    public DispatchTable Table { get; } = new(service, settings.Value.IndexTableName);
}
