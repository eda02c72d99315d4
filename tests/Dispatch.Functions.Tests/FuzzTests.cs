using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Dispatch.Core.Identity;
using Dispatch.LocalHost;
using Dispatch.Testing;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Generated requests at every route of the running local host (the catalogue the host serves, so a new route
/// is fuzzed without a change here): random bytes, truncated and deeply nested JSON, wrong types, huge numbers,
/// odd Unicode, in bodies, headers, route values and query strings, under tokens from nobody to the command
/// center. It fails on any 500, on any answer slower than the request budget allows, and on any change a refused
/// request wrote (the tables are read back). Seeded: <c>DISPATCH_FUZZ_SEED</c> replays a run,
/// <c>DISPATCH_FUZZ_SECONDS</c> runs longer than the suite's 20 s; both are printed.
/// </summary>
[Collection(SharedAzurite.Name)]
public sealed class FuzzTests(Azurite azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    private static readonly string[] QueryKeys =
        ["station", "status", "priority", "pageSize", "continuationToken", "from", "to", "clock", "by", "bottom", "subject", "level", "wall"];

    private static readonly string[] Fields =
        ["station", "category", "priority", "zone", "channel", "location", "address", "latitude", "longitude", "description", "reporterContact",
         "unit", "officer", "reason", "outcome", "level", "name", "role", "status", "reportedAt", "by"];

    private static readonly string[] Odd =
        ["", " ", "\u0000", "\u200b", "\u202e", "𝕏", "😀", "\uFEFF", "é", "e\u0301", "%00", "%FF", "..", "../..", "'", "\"", "<script>", "${x}",
         "\\", "null", "NaN", "-1", "0", "1e400", "99999999999999999999", "P1", "urban", "officer", "chief", "anonymous", "system:sweep", "ＡＢＣ"];

    private ApiHost stack = null!;
    private Staff staff = null!;
    private string incident = null!;
    private List<HttpFunction> routes = null!;
    private Dictionary<string, HttpClient> callers = null!;

    public async Task InitializeAsync()
    {
        stack = await ApiHost.StartAsync(azurite.ConnectionString, new Dictionary<string, string?>
        {
            // The flood limit has a test of its own; here refused tokens must reach every path the limit would hide.
            ["DISPATCH_UNAUTHENTICATED_LIMIT"] = "1000000",
        });
        staff = await stack.StaffAsync(ApiHost.NewStation());
        incident = (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(staff.Station.Value)))["id"]!.GetValue<string>();
        routes = [.. FunctionCatalog.Discover(new ConfigurationBuilder().AddInMemoryCollection(LocalFunctionsHost.Defaults).Build()).Http];
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        HttpClient Client() => new(handler, disposeHandler: false) { BaseAddress = stack.BaseAddress, Timeout = Budget + TimeSpan.FromSeconds(3) };
        callers = new()
        {
            ["none"] = Client(),
            ["garbage"] = Client(),
            ["officer"] = Client(),
            ["dispatcher"] = Client(),
            ["chief"] = Client(),
            ["command-center"] = Client(),
        };
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task Generated_requests_at_every_route_never_get_a_500_never_hang_and_a_refused_one_writes_nothing()
    {
        var seed = Environment.GetEnvironmentVariable("DISPATCH_FUZZ_SEED") is { Length: > 0 } given
            ? int.Parse(given, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var seconds = Environment.GetEnvironmentVariable("DISPATCH_FUZZ_SECONDS") is { Length: > 0 } s ? double.Parse(s, CultureInfo.InvariantCulture) : 20;
        var random = new Random(seed);
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var cases = 0;
        var checkedBatches = 0;
        var clock = Stopwatch.StartNew();
        output.WriteLine($"fuzz seed {seed} (DISPATCH_FUZZ_SEED={seed} replays it), {routes.Count} routes, {seconds} s");
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds) && failures.Count == 0)
        {
            var before = await SnapshotAsync();
            var wroteLegitimately = false;
            var batch = new List<string>();
            for (var i = 0; i < 25; i++)
            {
                var (request, label, client) = Generate(random);
                var started = Stopwatch.StartNew();
                int status;
                try
                {
                    using (request)
                    using (var response = await client.SendAsync(request))
                    {
                        status = (int)response.StatusCode;
                        await response.Content.ReadAsByteArrayAsync();
                    }
                }
                catch (TaskCanceledException)
                {
                    failures.Add($"no answer within {Budget + TimeSpan.FromSeconds(3)}: {label}");
                    break;
                }
                catch (HttpRequestException e)
                {
                    failures.Add($"connection failed ({e.Message}): {label}");
                    break;
                }

                cases++;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                batch.Add($"{status} {label}");
                if (status >= 500 && status != 503)
                {
                    failures.Add($"{status}: {label}");
                }

                // Health says 503 by design here: this host has no Service Bus and runs no sweep.
                if (status == 503 && !label.Contains(" /api/health", StringComparison.Ordinal))
                {
                    failures.Add($"503 with storage up (over the request budget?): {label}");
                }

                if (started.Elapsed > Budget + TimeSpan.FromSeconds(1))
                {
                    failures.Add($"answered {status} after {started.Elapsed.TotalSeconds:0.0} s, past the {Budget.TotalSeconds} s budget: {label}");
                }

                wroteLegitimately |= status is >= 200 and < 300 && request.Method != HttpMethod.Get;
            }

            if (!wroteLegitimately)
            {
                checkedBatches++;
                var after = await SnapshotAsync();
                var changed = after.Where(r => !before.TryGetValue(r.Key, out var etag) || etag != r.Value).Select(r => r.Key)
                    .Concat(before.Keys.Where(k => !after.ContainsKey(k))).ToList();
                if (changed.Count > 0)
                {
                    failures.Add($"refused requests wrote {string.Join(", ", changed.Take(5))}; the batch:\n  {string.Join("\n  ", batch)}");
                }
            }
        }

        var summary = $"fuzz seed {seed}: {cases} cases in {clock.Elapsed.TotalSeconds:0.0} s, {checkedBatches} batches read back; statuses {string.Join(", ", statuses.Select(p => $"{p.Key}×{p.Value}"))}";
        output.WriteLine(summary);
        Assert.True(failures.Count == 0, $"{summary}\n{string.Join("\n", failures)}");
        Assert.True(cases >= 100, summary);
    }

    /// <summary>Every row that is not an audit record, with its ETag: what a refused request must leave as it was.</summary>
    private async Task<Dictionary<string, ETag>> SnapshotAsync()
    {
        var rows = new Dictionary<string, ETag>();
        foreach (var (name, table) in new[] { ("main", stack.Service<Dispatch.Functions.Storage.DispatchTable>().Client), ("due", stack.Service<Dispatch.Functions.Storage.DueIndexTable>().Table.Client) })
        {
            try
            {
                await foreach (var row in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
                {
                    var audit = row.RowKey.StartsWith("audit|", StringComparison.Ordinal) || row.PartitionKey.StartsWith("auditby|", StringComparison.Ordinal) || row.PartitionKey == "_audit";
                    if (!audit)
                    {
                        rows[$"{name}:{row.PartitionKey}/{row.RowKey}"] = row.ETag;
                    }
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // The due index is created with its first entry.
            }
        }

        return rows;
    }

    private (HttpRequestMessage Request, string Label, HttpClient Client) Generate(Random random)
    {
        var route = routes[random.Next(routes.Count)];
        var method = random.Next(10) == 0
            ? Pick(random, ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
            : Pick(random, [.. route.Methods]).ToUpperInvariant();
        var path = System.Text.RegularExpressions.Regex.Replace(route.Route, @"\{\*?(\w+)\}", m => RouteValue(random, m.Groups[1].Value));
        var query = random.Next(3) == 0 ? "" : "?" + string.Join("&", Enumerable.Range(0, random.Next(1, 6)).Select(_ => QueryPair(random)));
        var request = new HttpRequestMessage(new HttpMethod(method), path + query);
        var who = Pick(random, [.. callers.Keys]);
        var token = who switch
        {
            "none" => null,
            "garbage" => Pick(random, ["x", "a.b.c", new string('A', random.Next(1, 9000)), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", Ascii(random, 40)]),
            "officer" => stack.Tokens.Mint(staff.Officer, [], stack.Clock.GetCurrentInstant(), NodaTime.Duration.FromHours(1)),
            "dispatcher" => stack.Tokens.Mint(staff.Dispatcher, [], stack.Clock.GetCurrentInstant(), NodaTime.Duration.FromHours(1)),
            "chief" => stack.Tokens.Mint(staff.Chief, [], stack.Clock.GetCurrentInstant(), NodaTime.Duration.FromHours(1)),
            _ => stack.Tokens.Mint(ApiHost.CommandCenter, [GlobalRole.CommandCenter, GlobalRole.Auditor, GlobalRole.Admin], stack.Clock.GetCurrentInstant(), NodaTime.Duration.FromHours(1)),
        };
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", random.Next(20) == 0 ? $"Basic {token}" : $"Bearer {token}");
        }

        foreach (var (header, value) in new[] { ("If-Match", "\"*\""), ("If-None-Match", "W/\"x\""), ("Idempotency-Key", "k"), ("Accept", "text/csv"), ("X-Actor", "chief") })
        {
            if (random.Next(6) == 0)
            {
                request.Headers.TryAddWithoutValidation(header, random.Next(2) == 0 ? value : Ascii(random, random.Next(0, 300)));
            }
        }

        string bodyLabel = "";
        if (method is not ("GET" or "HEAD") && random.Next(5) != 0)
        {
            var (bytes, label) = Body(random);
            request.Content = new ByteArrayContent(bytes);
            var contentType = random.Next(8) switch
            {
                0 => null,
                1 => "text/plain",
                2 => "application/problem+json; charset=utf-16",
                3 => Ascii(random, 20),
                _ => "application/json",
            };
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }

            bodyLabel = $" body {label} ({bytes.Length} bytes, {contentType ?? "no Content-Type"})";
        }

        return (request, $"{method} /api/{path}{query} as {who}{bodyLabel}", callers[who]);
    }

    private string RouteValue(Random random, string name) => random.Next(4) switch
    {
        0 => name switch
        {
            "id" => incident,
            "station" => staff.Station.Value,
            "subject" => Pick(random, [staff.Officer.Subject, "ghost.x", "system:sweep", "anonymous"]),
            "file" => Pick(random, ["board.js", "board.css", "index.html", "config.json", "../Dispatch.Functions.dll"]),
            _ => Pick(random, ["health", "incidents", "board", "me", "audit"]),
        },
        1 => Uri.EscapeDataString(Pick(random, Odd)),
        2 => Uri.EscapeDataString(Text(random, random.Next(1, 300))),
        _ => string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => $"%{random.Next(256):X2}")),
    };

    private string QueryPair(Random random)
    {
        var key = random.Next(8) == 0 ? Uri.EscapeDataString(Text(random, 8)) : Pick(random, QueryKeys);
        var value = random.Next(5) switch
        {
            0 => Pick(random, ["all", staff.Station.Value, "open", "overdue", "closed", "P1", "2026-11-26", "1969-12-31", "0001-01-01", "9999-12-31", "-0001-01-01", "2026-11-26T08:00:00Z", "unit", "500", "0", "2147483648"]),
            1 => Uri.EscapeDataString(Pick(random, Odd)),
            2 => Uri.EscapeDataString(Text(random, random.Next(0, 200))),
            3 => string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => $"%{random.Next(256):X2}")),
            _ => random.NextInt64().ToString(CultureInfo.InvariantCulture),
        };
        return $"{key}={value}";
    }

    private (byte[] Bytes, string Label) Body(Random random)
    {
        switch (random.Next(9))
        {
            case 0:
                var raw = new byte[random.Next(0, 2000)];
                random.NextBytes(raw);
                return (raw, "random bytes");
            case 1:
                var json = Encoding.UTF8.GetBytes(Object(random, 0).ToJsonString());
                return (json[..random.Next(0, json.Length)], "truncated JSON");
            case 2:
                var depth = random.Next(15, 3000);
                return (Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(random.Next(2) == 0 ? "[" : "{\"a\":", depth)) + "1"), $"nested {depth} deep, unclosed");
            case 3:
                return (Encoding.UTF8.GetBytes($"{{\"{Pick(random, Fields)}\":1,\"{Pick(random, Fields)}\":2,\"level\":{Pick(random, ["1e400", "-0", "1.5", "99999999999999999999999", "1E+2", "0x10", "Infinity"])}}}"), "odd numbers");
            case 4:
                var invalid = new List<byte>(Encoding.UTF8.GetBytes($"{{\"{Pick(random, Fields)}\":\""));
                invalid.AddRange(Pick(random, new[] { new byte[] { 0xFF, 0xFE }, [0xC0, 0xBC], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80] }));
                invalid.AddRange(Encoding.UTF8.GetBytes(Pick(random, ["\"}", "\\ud800\"}", "\\udc00\\ud800\"}", "\"", ""])));
                return ([.. invalid], "invalid UTF-8 or surrogates");
            case 5:
                return (Encoding.UTF8.GetBytes(Pick(random, ["null", "[]", "\"text\"", "42", "true", "{}", "{\"a\":1,\"a\":2}", " ", "\uFEFF{}"])), "not an object");
            case 6:
                return (Encoding.UTF8.GetBytes(new JsonObject { [Pick(random, Fields)] = new string('x', random.Next(60_000, 70_000)) }.ToJsonString()), "near 64 KiB");
            default:
                return (Encoding.UTF8.GetBytes(Object(random, 0).ToJsonString()), "generated object");
        }
    }

    /// <summary>A JSON object with the API's own field names and values of every kind, valid ones among them.</summary>
    private JsonObject Object(Random random, int depth)
    {
        var obj = new JsonObject();
        foreach (var field in Fields.Where(_ => random.Next(3) == 0).Distinct())
        {
            obj[field] = random.Next(9) switch
            {
                0 => null,
                1 => random.Next(2) == 0,
                2 => random.NextDouble() * Math.Pow(10, random.Next(-5, 300)) * (random.Next(2) == 0 ? -1 : 1),
                3 => random.NextInt64(),
                4 => depth < 3 ? Object(random, depth + 1) : "deep",
                5 => new JsonArray(Text(random, 5), 1, null),
                6 => Pick(random, Odd),
                7 => Pick(random, [staff.Station.Value, staff.Officer.Subject, "patrol-1", "P1", "urban", "phone", "officer", "theft", "1 Bell Tower Square"]),
                _ => Text(random, random.Next(0, 600)),
            };
        }

        return obj;
    }

    private static string Text(Random random, int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ => random.Next(6) switch
        {
            0 => ((char)random.Next(0, 32)).ToString(),
            1 => ((char)random.Next(0x80, 0x800)).ToString(),
            2 => ((char)random.Next(0x4E00, 0x9FFF)).ToString(),
            3 => random.Next(2) == 0 ? "😀" : "𝕏",
            _ => ((char)random.Next(32, 127)).ToString(),
        }));

    private static string Ascii(Random random, int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(33, 127))]);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
