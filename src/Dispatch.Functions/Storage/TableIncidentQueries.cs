using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>The read side: lists, timelines and report ranges, each a range of one station's partition.</summary>
public sealed class TableIncidentQueries(DispatchTable table) : IIncidentQueries
{
    public async Task<IncidentPage> ListAsync(IncidentQuery query, CancellationToken cancellationToken)
    {
        var prefix = query.Status is StatusFilter.Open or StatusFilter.Overdue ? "open|" : "incident|";
        var filters = new List<string>
        {
            TableClient.CreateQueryFilter($"PartitionKey eq {query.Station.Value} and RowKey gt {prefix} and RowKey lt {prefix[..^1] + "}"}"),
        };
        if (query.Status == StatusFilter.Overdue)
        {
            filters.Add(TableClient.CreateQueryFilter($"NextDeadline le {query.Now.ToDateTimeOffset()}"));
        }
        else if (query.Status == StatusFilter.Closed)
        {
            filters.Add(TableClient.CreateQueryFilter($"IsOpen eq {false}"));
        }

        if (query.Priority is { } priority)
        {
            filters.Add(TableClient.CreateQueryFilter($"Priority eq {priority.Name()}"));
        }

        var token = ContinuationTokens.Decode(query.ContinuationToken);
        var page = await table.RunAsync(async () =>
        {
            await foreach (var p in table.Client.QueryAsync<TableEntity>(string.Join(" and ", filters), query.PageSize, ["Body"], cancellationToken)
                .AsPages(token, query.PageSize).WithCancellation(cancellationToken))
            {
                return p;
            }

            return null;
        }, cancellationToken);
        return page is null
            ? new IncidentPage([], null)
            : new IncidentPage([.. page.Values.Select(row => IncidentView.Of(IncidentRows.Read(row), query.Now))], ContinuationTokens.Encode(page.ContinuationToken));
    }

    public async Task<IReadOnlyList<IncidentEvent>> TimelineAsync(IncidentId id, CancellationToken cancellationToken)
    {
        var from = TableKeys.EventPrefix(id);
        var rows = await table.QueryAsync(
            TableClient.CreateQueryFilter($"PartitionKey eq {id.Station.Value} and RowKey gt {from} and RowKey lt {from + "~"}"), ["Body"], cancellationToken);
        return [.. rows.Select(row => JsonSerializer.Deserialize<EventDocument>(row.GetString("Body"), Json.Options)!.ToEvent())];
    }

    public async IAsyncEnumerable<ReportedIncident> ReportedBetweenAsync(
        StationId station, Instant from, Instant until, Instant asOf, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (after, before) = TableKeys.IncidentRange(from, until);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {station.Value} and RowKey gt {after} and RowKey lt {before}");
        string? continuation = null;
        do
        {
            var page = await table.RunAsync(async () =>
            {
                await foreach (var p in table.Client.QueryAsync<TableEntity>(filter, 1000, ["Body"], cancellationToken).AsPages(continuation, 1000).WithCancellation(cancellationToken))
                {
                    return p;
                }

                return null;
            }, cancellationToken);
            if (page is null)
            {
                yield break;
            }

            foreach (var row in page.Values)
            {
                var incident = IncidentRows.Read(row);
                // The key holds the report's millisecond; the bounds are exact to the instant.
                if (incident.ReportedAt >= from && incident.ReportedAt < until)
                {
                    yield return ReportedIncident.Of(incident, asOf);
                }
            }

            continuation = page.ContinuationToken;
        }
        while (continuation is not null);
    }

    public async Task<IReadOnlyList<KnownStation>> StationsAsync(CancellationToken cancellationToken)
    {
        var rows = await table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.StationsPartition}"), ["RowKey", TableKeys.StationSince], cancellationToken);
        return [.. rows.Where(r => StationId.TryParse(r.RowKey, out _))
            .Select(r => new KnownStation(StationId.Parse(r.RowKey), r.GetDateTimeOffset(TableKeys.StationSince) is { } since ? Instant.FromDateTimeOffset(since) : null))];
    }

    /// <summary>The ETag of the station's <c>_version</c> row, which every change of the station rewrites in its own transaction.</summary>
    public async Task<string?> StationVersionAsync(StationId station, CancellationToken cancellationToken)
    {
        var row = await table.RunAsync(
            () => table.Client.GetEntityIfExistsAsync<TableEntity>(station.Value, TableKeys.StationVersionRow, ["RowKey"], cancellationToken), cancellationToken);
        return row.HasValue ? row.Value!.ETag.ToString() : null;
    }
}

/// <summary>Continuation tokens as the API hands them out: opaque, URL-safe, refused when not ours.</summary>
internal static class ContinuationTokens
{
    public static string? Encode(string? token) =>
        token is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(token)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            // The SDK's tokens are "{next partition key} {next row key}"; anything else did not come from us.
            return decoded.Split(' ').Length == 2 ? decoded : throw new InvalidContinuationTokenException();
        }
        catch (FormatException)
        {
            throw new InvalidContinuationTokenException();
        }
    }
}
