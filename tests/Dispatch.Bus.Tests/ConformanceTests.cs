using Dispatch.Testing;

namespace Dispatch.Bus.Tests;

/// <summary>
/// Every conformance case twice: on a broker of its own, and all of them one after another on one broker
/// with one client and shared receivers, so a case that leaves state behind (a message, a lock, the credit
/// of a receive that timed out) is caught by the cases that follow it.
/// </summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> Cases => [.. ConformanceCases.All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task On_its_own_broker(string name)
    {
        var @case = ConformanceCases.All.Single(c => c.Name == name);
        var time = new ShiftedTime();
        await using var bus = BusConfigs.Start(time);
        await using var context = new BusContext(bus, time, shared: false);

        await @case.Run(context);

        AssertLeftClean(bus, @case);
    }

    [Fact]
    public async Task Every_case_in_sequence_on_shared_entities_with_reused_receivers()
    {
        var time = new ShiftedTime();
        await using var bus = BusConfigs.Start(time);
        await using var context = new BusContext(bus, time, shared: true);

        foreach (var @case in ConformanceCases.All)
        {
            try
            {
                await @case.Run(context);
                AssertLeftClean(bus, @case);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"Case '{@case.Name}' failed after the cases before it: {e}");
            }
        }
    }

    private static void AssertLeftClean(LocalBus bus, ConformanceCases.Conformance @case)
    {
        foreach (var entity in @case.Entities.SelectMany(Paths))
        {
            Assert.True(bus.CountMessages(entity) == 0, $"'{@case.Name}' left {bus.CountMessages(entity)} message(s) in {entity}");
        }
    }

    private static readonly string[] AlertSubscriptions = ["everything", "chief", "urgent-label"];

    private static IEnumerable<string> Paths(string entity) => (entity == "alerts" ? AlertSubscriptions.Select(s => $"alerts/subscriptions/{s}") : [entity])
        .SelectMany(path => new[] { path, $"{path}/$deadletterqueue" });
}
