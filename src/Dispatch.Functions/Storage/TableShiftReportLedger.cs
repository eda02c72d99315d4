using System.Globalization;
using Azure.Data.Tables;
using Dispatch.Core.Incidents;
using Dispatch.Core.Reports;
using NodaTime;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Which shift reports went out: a <c>shiftreport|{day}</c> row in the station's partition per station-day,
/// and a row per day in <c>_shiftreports</c> once every station has had its report, so a timer that runs
/// every minute reads three rows, not every station's.
/// </summary>
public sealed class TableShiftReportLedger(DispatchTable table) : IShiftReportLedger
{
    private const string DaysPartition = "_shiftreports";

    public Task<bool> IsDayDoneAsync(LocalDate day, CancellationToken cancellationToken) => ExistsAsync(DaysPartition, Key(day), cancellationToken);

    public Task MarkDayDoneAsync(LocalDate day, CancellationToken cancellationToken) => MarkAsync(DaysPartition, Key(day), cancellationToken);

    public Task<bool> WasSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken) => ExistsAsync(station.Value, Row(day), cancellationToken);

    public Task MarkSentAsync(StationId station, LocalDate day, CancellationToken cancellationToken) => MarkAsync(station.Value, Row(day), cancellationToken);

    private async Task<bool> ExistsAsync(string partition, string row, CancellationToken cancellationToken) =>
        (await table.RunAsync(() => table.Client.GetEntityIfExistsAsync<TableEntity>(partition, row, ["RowKey"], cancellationToken), cancellationToken)).HasValue;

    private Task<Azure.Response> MarkAsync(string partition, string row, CancellationToken cancellationToken) =>
        table.RunAsync(() => table.Client.UpsertEntityAsync(new TableEntity(partition, row), TableUpdateMode.Replace, cancellationToken), cancellationToken);

    private static string Key(LocalDate day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Row(LocalDate day) => $"shiftreport|{Key(day)}";
}
