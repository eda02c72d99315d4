using System.Runtime.InteropServices;
using Dispatch.Bench;
using Spectre.Console;

// ./dispatch bench [all|api|path|sweep|burst|report|broker|units] [--quick]
// A figure that cannot be measured (a stack that did not start, a port taken, a timeout, a wrong count) ends as
// one line naming it and why, the figures that were measured are still printed, and the exit code is 1. Nothing
// escapes Main: an unhandled exception aborts the runtime (SIGABRT, exit 134) with a stack trace for a reason.
var measuring = "starting";
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
{
    // Thrown on a thread of its own (a callback, a timer): the runtime will abort; say why first, and exit 1 instead.
    Console.Error.WriteLine($"bench: stopped while {measuring}: {Failures.Reason(e.ExceptionObject as Exception)}");
    Environment.Exit(1);
};

var quick = args.Contains("--quick");
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
if (which is not ("all" or "api" or "path" or "sweep" or "burst" or "report" or "broker" or "units"))
{
    Console.Error.WriteLine($"bench: unknown benchmark '{which}'; use all, api, path, sweep, burst, report, broker or units (and --quick).");
    return 2;
}

if (Failures.FindRepoRoot() is not { } repoRoot)
{
    Console.Error.WriteLine("bench: run the benchmarks from the repository (Dispatch.sln not found above the bench's build output).");
    return 2;
}

var figures = new List<Figure>();
var failures = new List<string>();
await AnsiConsole.Status().StartAsync("starting…", async status =>
{
    void Progress(string text)
    {
        measuring = text;
        status.Status(Markup.Escape(text));
    }

    // Runs one group of figures; a failure is kept as its line and the other groups still run.
    async Task<T?> Measure<T>(string figure, Func<Task<T>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures.Add($"bench: {figure} not measured, while {measuring}: {Failures.Reason(e)}");
            return default;
        }
    }

    if (which is "all" or "sweep" or "burst" or "report")
    {
        Progress("starting dispatch up (in memory, free ports)");
        var stack = await Measure(which == "all" ? "sweep and report figures" : $"{which} figures",
            () => StackProcess.StartAsync(repoRoot, Path.Combine(AppContext.BaseDirectory, "bench-policy.json")));
        if (stack is not null)
        {
            if (which is "all" or "sweep")
            {
                figures.AddRange(await Measure("sweep figures", () => SweepBench.RunAsync(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, quick, Progress)) ?? []);
            }

            if (which is "burst")
            {
                figures.AddRange(await Measure("burst figures", () => SweepBench.RunBurstAsync(repoRoot, stack.StorageConnectionString, stack.BusConnectionString, quick, Progress)) ?? []);
            }

            if (which is "all" or "report")
            {
                figures.AddRange(await Measure("report figures", () => ReportBench.RunAsync(repoRoot, stack, quick, Progress)) ?? []);
            }

            Progress("stopping dispatch up");
            await Measure("a clean stop of dispatch up", async () =>
            {
                await stack.DisposeAsync();
                return true;
            });
        }
    }

    if (which is "all" or "api")
    {
        figures.AddRange(await Measure("api figures", () => ApiBench.RunAsync(repoRoot, quick, Progress)) ?? []);
    }

    if (which is "all" or "units")
    {
        figures.AddRange(await Measure("units figures", () => UnitsBench.RunAsync(repoRoot, quick, Progress)) ?? []);
    }

    if (which is "path")
    {
        figures.AddRange(await Measure("request path figures", () => ApiBench.RunAsync(repoRoot, quick, Progress, pathOnly: true)) ?? []);
    }

    if (which is "all" or "broker")
    {
        Progress("broker throughput and latency");
        figures.AddRange(await Measure("broker figures", () => BrokerBench.RunAsync(quick)) ?? []);
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

foreach (var failure in failures)
{
    Console.Error.WriteLine(failure);
}

return failures.Count == 0 ? 0 : 1;
