using Azure.Data.Tables;
using Dispatch.Testing;

namespace Dispatch.LocalHost.Tests;

/// <summary>
/// Azurite runs without its access log: a line per request that nobody reads, whose formatting and writing to the pipe
/// were about a fifth of Azurite's processor time in the burst's profile (issue 29 §3).
/// </summary>
public sealed class AzuriteOutputTests
{
    [Fact]
    public async Task Requests_leave_no_access_log_line_in_azurites_output()
    {
        await using var azurite = await AzuriteProcess.StartAsync(RepoRoot.Path, Ports.Free(), dataDirectory: null, TimeSpan.FromSeconds(30));
        var table = new TableClient(AzuriteProcess.ConnectionStringFor(azurite.Port), "silent");
        await table.CreateIfNotExistsAsync();
        for (var i = 0; i < 5; i++)
        {
            await table.UpsertEntityAsync(new TableEntity("p", $"{i}"));
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        // Azurite's access log reads like `127.0.0.1 - - [03/Dec/2026:10:00:00 +0000] "PUT /devstoreaccount1/silent… HTTP/1.1" 204 -`.
        Assert.DoesNotContain(" - - [", azurite.LastOutput, StringComparison.Ordinal);
        Assert.Contains("successfully started", azurite.LastOutput, StringComparison.Ordinal);
    }
}
