using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Dispatch.Testing;

/// <summary>What API tests assert again and again, in one place.</summary>
public static class Api
{
    /// <summary>The response is a problem+json of <paramref name="status"/>, naming <paramref name="field"/> when given.</summary>
    public static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        if (field is not null)
        {
            Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"expected an error for '{field}': {text}");
        }

        return problem;
    }

    /// <summary>POSTs and expects 200, returning the body.</summary>
    public static async Task<JsonObject> PostAsync(HttpClient client, string path, object? body = null)
    {
        using var response = await client.PostAsync(path, body is null ? null : JsonContent.Create(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await ApiHost.ReadJsonAsync(response))!.AsObject();
    }

    public static async Task<JsonObject> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await ApiHost.ReadJsonAsync(response))!.AsObject();
    }

    public static async Task<List<string>> TimelineKindsAsync(HttpClient client, string id) =>
        [.. (await GetAsync(client, $"incidents/{id}/timeline"))["events"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>())];

    /// <summary>Every row of a station's partition, read straight from the table: what a test sees when it must not trust the API.</summary>
    public static async Task<List<TableEntity>> RowsAsync(ApiHost host, string station)
    {
        var table = host.Service<Dispatch.Functions.Storage.DispatchTable>().Client;
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {station}")))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// Nothing about incidents was written to the station: no incident, list entry, event, outbox or idempotency
    /// row, and no due-index entry naming it. (The audit record of the refused request is expected.)
    /// </summary>
    public static async Task AssertNoIncidentWrittenAsync(ApiHost host, string station)
    {
        var rows = await RowsAsync(host, station.ToLowerInvariant());
        Assert.DoesNotContain(rows, r => !r.RowKey.StartsWith("audit|", StringComparison.Ordinal) && !r.RowKey.StartsWith("roster|", StringComparison.Ordinal) && r.RowKey != "_version");
        var index = host.Service<Dispatch.Functions.Storage.DueIndexTable>().Table.Client;
        try
        {
            await foreach (var entry in index.QueryAsync<TableEntity>(select: ["RowKey"]))
            {
                Assert.DoesNotContain($"|{station.ToLowerInvariant()}.", entry.RowKey, StringComparison.Ordinal);
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // No entry was ever written: the index table was never created.
        }
    }
}

/// <summary>A small policy for tests that change it: P1 rural arrival is 20 minutes (5 × 4).</summary>
public static class TestPolicies
{
    public const string Json = """
        { "version": "test-1",
          "timeZone": "Asia/Shanghai",
          "priorities": {
            "P1": { "dispatch": "PT1M", "arrival": "PT5M", "resolution": "PT2H" },
            "P2": { "dispatch": "PT3M", "arrival": "PT10M", "resolution": "PT8H" },
            "P3": { "dispatch": "PT15M", "arrival": "PT30M", "resolution": "P3D" },
            "P4": { "dispatch": "PT1H", "arrival": "PT24H", "resolution": "P7D" } },
          "zones": { "urban": 1, "suburban": 2, "rural": 4 },
          "warnAt": [0.5, 0.75],
          "escalation": [ { "level": 1, "after": "PT0S", "to": "duty-officer" },
                          { "level": 2, "after": "PT2M", "to": "chief" } ],
          "immediate": { "categories": ["homicide"], "to": "chief" } }
        """;
}

/// <summary>An RFC 4180 reader (quoted fields, doubled quotes, CRLF), to read the API's CSV back.</summary>
public static class Csv
{
    public static List<Dictionary<string, string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }

        Assert.False(quoted, "CSV ends inside a quoted field");
        Assert.True(field.Length == 0 && record.Count == 0, "CSV does not end with CRLF");
        var header = records[0];
        Assert.All(records, r => Assert.Equal(header.Count, r.Count));
        return [.. records.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second))];
    }
}
