using Azure.Messaging.ServiceBus;

namespace Dispatch.Bus.Tests;

[Collection(SharedBus.Name)]
public sealed class TopicAndSchedulingTests(BusFixture bus)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_topic_fans_out_to_the_subscriptions_whose_correlation_filters_match()
    {
        await using var sender = bus.Client.CreateSender("alerts");
        await using var everything = bus.Client.CreateReceiver("alerts", "everything", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        await using var chief = bus.Client.CreateReceiver("alerts", "chief", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        await using var urgent = bus.Client.CreateReceiver("alerts", "urgent-label", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });

        var forChief = new ServiceBusMessage("for the chief") { MessageId = "fan-1" };
        forChief.ApplicationProperties["audience"] = "chief";
        var forDuty = new ServiceBusMessage("for the duty officer") { MessageId = "fan-2", Subject = "urgent" };
        forDuty.ApplicationProperties["audience"] = "duty-officer";
        await sender.SendMessagesAsync([forChief, forDuty]);

        Assert.Equal(["for the chief", "for the duty officer"], await DrainAsync(everything));
        Assert.Equal(["for the chief"], await DrainAsync(chief));
        Assert.Equal(["for the duty officer"], await DrainAsync(urgent));
    }

    [Fact]
    public async Task Sending_to_a_subscription_or_receiving_from_a_topic_or_a_missing_entity_fails_promptly_as_not_found()
    {
        await using var client = bus.NewClient();
        var started = DateTimeOffset.UtcNow;

        await using var missingSender = client.CreateSender("no-such-queue");
        var send = await Assert.ThrowsAsync<ServiceBusException>(() => missingSender.SendMessageAsync(new ServiceBusMessage("x")));
        await using var missingReceiver = client.CreateReceiver("no-such-topic", "no-such-subscription");
        var receive = await Assert.ThrowsAsync<ServiceBusException>(() => missingReceiver.ReceiveMessageAsync(Wait));
        await using var topicReceiver = client.CreateReceiver("alerts");
        var topic = await Assert.ThrowsAsync<ServiceBusException>(() => topicReceiver.ReceiveMessageAsync(Wait));

        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, send.Reason);
        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, receive.Reason);
        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, topic.Reason);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(5), "not-found must not wait for timeouts");
    }

    [Fact]
    public async Task A_scheduled_message_is_never_delivered_before_its_time()
    {
        await using var sender = bus.Client.CreateSender("scheduled");
        await using var receiver = bus.Client.CreateReceiver("scheduled");
        var due = DateTimeOffset.UtcNow.AddSeconds(1.5);

        await sender.SendMessageAsync(new ServiceBusMessage("on time") { ScheduledEnqueueTime = due });
        var received = await receiver.ReceiveMessageAsync(Wait);

        Assert.NotNull(received);
        Assert.True(DateTimeOffset.UtcNow >= due, "delivered early");
        Assert.Equal("on time", received.Body.ToString());
        Assert.True(received.EnqueuedTime >= due.AddMilliseconds(-1));
        await receiver.CompleteMessageAsync(received);
    }

    [Fact]
    public async Task Schedule_message_returns_a_sequence_number_and_a_cancelled_one_never_arrives()
    {
        await using var sender = bus.Client.CreateSender("scheduled");
        await using var receiver = bus.Client.CreateReceiver("scheduled");
        var due = DateTimeOffset.UtcNow.AddSeconds(3);

        var kept = await sender.ScheduleMessageAsync(new ServiceBusMessage("kept"), due);
        var cancelled = await sender.ScheduleMessageAsync(new ServiceBusMessage("cancelled"), due);
        await sender.CancelScheduledMessageAsync(cancelled);
        Assert.True(DateTimeOffset.UtcNow < due, "the cancel itself took longer than the schedule; the test proves nothing");

        Assert.NotEqual(kept, cancelled);
        var peeked = await receiver.PeekMessageAsync();
        Assert.Equal(kept, peeked.SequenceNumber);
        Assert.Equal(ServiceBusMessageState.Scheduled, peeked.State);
        var received = await receiver.ReceiveMessageAsync(Wait);
        Assert.Equal("kept", received.Body.ToString());
        Assert.True(DateTimeOffset.UtcNow >= due);
        await receiver.CompleteMessageAsync(received);
        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Topic_messages_can_be_scheduled_and_cancelled_too()
    {
        await using var sender = bus.Client.CreateSender("alerts");
        await using var chief = bus.Client.CreateReceiver("alerts", "chief");
        var message = new ServiceBusMessage("cancel me") { MessageId = "sched-topic-1" };
        message.ApplicationProperties["audience"] = "chief";

        // Far enough ahead that a loaded machine still cancels before it is due.
        var due = DateTimeOffset.UtcNow.AddSeconds(3);
        var sequence = await sender.ScheduleMessageAsync(message, due);
        await sender.CancelScheduledMessageAsync(sequence);
        Assert.True(DateTimeOffset.UtcNow < due, "the cancel itself took longer than the schedule; the test proves nothing");

        Assert.Null(await chief.ReceiveMessageAsync(due - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1)));
    }

    private static async Task<List<string>> DrainAsync(ServiceBusReceiver receiver)
    {
        var bodies = new List<string>();
        ServiceBusReceivedMessage? next;
        while ((next = await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(500))) is not null)
        {
            bodies.Add(next.Body.ToString());
        }

        return bodies;
    }
}
