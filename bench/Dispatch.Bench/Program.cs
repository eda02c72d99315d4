using System.Runtime.InteropServices;
using Dispatch.Bench;

// dotnet run -c Release --project bench/Dispatch.Bench -- [all|broker] [--quick]
var quick = args.Contains("--quick");
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var figures = new List<Figure>();
if (which is "all" or "broker")
{
    Console.Error.WriteLine("running: broker...");
    figures.AddRange(await BrokerBench.RunAsync(quick));
}

Console.WriteLine($"Dispatch benchmarks, {DateTime.UtcNow:yyyy-MM-dd} UTC, {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, {RuntimeInformation.FrameworkDescription}{(quick ? ", quick" : "")}");
Console.WriteLine();
Console.WriteLine("| figure | value | baseline (same run) | ratio | note |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var f in figures)
{
    Console.WriteLine($"| {f.Name} | {f.Value} | {f.Baseline} | {f.Ratio} | {f.Note} |");
}
