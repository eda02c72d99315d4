using System.Runtime.InteropServices;
using Dispatch.Bench;
using Spectre.Console;

// ./dispatch bench [all|api|sweep|report|broker] [--quick]
var quick = args.Contains("--quick");
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var repoRoot = FindRepoRoot();
var figures = new List<Figure>();
await AnsiConsole.Status().StartAsync("starting…", async status =>
{
    void Progress(string text) => status.Status(Markup.Escape(text));
    if (which is "all" or "api" or "sweep" or "report")
    {
        Progress("starting dispatch up (in memory, free ports)");
        await using var stack = await StackProcess.StartAsync(repoRoot, Path.Combine(AppContext.BaseDirectory, "bench-policy.json"));
        if (which is "all" or "sweep")
        {
            figures.AddRange(await SweepBench.RunAsync(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, quick, Progress));
        }

        if (which is "all" or "report")
        {
            figures.AddRange(await ReportBench.RunAsync(repoRoot, stack, quick, Progress));
        }
    }

    if (which is "all" or "api")
    {
        figures.AddRange(await ApiBench.RunAsync(repoRoot, quick, Progress));
    }

    if (which is "all" or "broker")
    {
        Progress("broker throughput and latency");
        figures.AddRange(await BrokerBench.RunAsync(quick));
    }
});

Console.WriteLine($"Dispatch benchmarks, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {RuntimeInformation.FrameworkDescription}, Azurite in memory{(quick ? ", --quick" : "")}");
Console.WriteLine();
Console.WriteLine("| figure | value | baseline (same run) | ratio | note |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var f in figures)
{
    Console.WriteLine($"| {f.Name} | {f.Value} | {f.Baseline} | {f.Ratio} | {f.Note} |");
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Dispatch.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run the benchmarks from the repository (Dispatch.sln not found).");
}
