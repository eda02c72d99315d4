using System.Text.Json.Nodes;
using Dispatch.Contracts;
using Dispatch.Testing;

namespace Dispatch.Chief.Tests;

/// <summary>The contract the desk reads: the message bodies, and the topic's names against the entities the broker and Azure declare.</summary>
public sealed class MessageContractTests
{
    [Fact]
    public void An_escalation_is_overdue_only_after_its_deadline()
    {
        var deadline = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);
        var message = new EscalationMessage("i", "s", "c", "P1", "dispatch", "escalation", 1, "chief", deadline, null, deadline, "PT0S", "", "");

        Assert.Equal(TimeSpan.Zero, message.OverdueAt(deadline));
        Assert.Equal(TimeSpan.Zero, message.OverdueAt(deadline.AddSeconds(-5)));
        Assert.Equal(TimeSpan.FromSeconds(5), message.OverdueAt(deadline.AddSeconds(5)));
        Assert.Equal(TimeSpan.Zero, (message with { Deadline = null }).OverdueAt(deadline.AddSeconds(5)));
        Assert.Equal("empty escalation body", Assert.Throws<System.Text.Json.JsonException>(() => EscalationMessage.Parse("null"u8)).Message);
        Assert.Equal("empty report body", Assert.Throws<System.Text.Json.JsonException>(() => ShiftReportMessage.Parse("null"u8)).Message);
    }

    [Fact]
    public void The_topic_and_its_subscriptions_are_the_ones_the_broker_config_declares_each_filtered_on_its_own_audience()
    {
        // The outside world here is infra/servicebus/config.json: the entities the local broker, the official emulator and Bicep create.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "servicebus", "config.json")))!;
        var topic = config["UserConfig"]!["Namespaces"]![0]!["Topics"]!.AsArray().Single(t => t!["Name"]!.GetValue<string>() == EscalationTopic.Name)!;
        var subscriptions = topic["Subscriptions"]!.AsArray().Select(s => (
            Name: s!["Name"]!.GetValue<string>(),
            Audience: s["Rules"]![0]!["Properties"]!["CorrelationFilter"]!["Properties"]![MessageProperties.Audience]!.GetValue<string>())).ToList();

        Assert.Equal(["duty-officer", "chief", "command-center"], EscalationTopic.Subscriptions);
        Assert.Equal(EscalationTopic.Subscriptions, subscriptions.Select(s => s.Name));
        Assert.All(subscriptions, s => Assert.Equal(s.Name, s.Audience));
    }
}
