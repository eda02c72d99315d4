using Azure.Messaging.ServiceBus;

namespace Dispatch.Bus.Tests;

[Collection(SharedBus.Name)]
public sealed class QueueTests(BusFixture bus)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_message_sent_to_a_queue_is_received_with_its_properties_and_completed()
    {
        await using var sender = bus.Client.CreateSender("plain");
        await using var receiver = bus.Client.CreateReceiver("plain");
        var sent = new ServiceBusMessage(BinaryData.FromString("hello")) { MessageId = "m-1", Subject = "greeting", ContentType = "text/plain", CorrelationId = "c-1" };
        sent.ApplicationProperties["station"] = "beilin-01";
        sent.ApplicationProperties["level"] = 2;

        await sender.SendMessageAsync(sent);
        var received = await receiver.ReceiveMessageAsync(Wait);

        Assert.NotNull(received);
        Assert.Equal("hello", received.Body.ToString());
        Assert.Equal("m-1", received.MessageId);
        Assert.Equal("greeting", received.Subject);
        Assert.Equal("text/plain", received.ContentType);
        Assert.Equal("c-1", received.CorrelationId);
        Assert.Equal("beilin-01", received.ApplicationProperties["station"]);
        Assert.Equal(2, received.ApplicationProperties["level"]);
        Assert.Equal(1, received.DeliveryCount);
        Assert.True(received.SequenceNumber > 0);
        Assert.True(received.LockedUntil > DateTimeOffset.UtcNow);
        await receiver.CompleteMessageAsync(received);
        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, bus.Bus.CountMessages("plain"));
    }

    [Fact]
    public async Task Abandon_redelivers_with_the_changed_properties_and_a_higher_delivery_count()
    {
        await using var sender = bus.Client.CreateSender("busy");
        await using var receiver = bus.Client.CreateReceiver("busy");
        await sender.SendMessageAsync(new ServiceBusMessage("retry me"));

        var first = await receiver.ReceiveMessageAsync(Wait);
        await receiver.AbandonMessageAsync(first, new Dictionary<string, object> { ["attempt"] = "first" });
        var second = await receiver.ReceiveMessageAsync(Wait);

        Assert.Equal(first.SequenceNumber, second.SequenceNumber);
        Assert.Equal(2, second.DeliveryCount);
        Assert.Equal("first", second.ApplicationProperties["attempt"]);
        await receiver.CompleteMessageAsync(second);
    }

    [Fact]
    public async Task Dead_lettering_moves_the_message_with_its_reason_and_description()
    {
        await using var sender = bus.Client.CreateSender("plain");
        await using var receiver = bus.Client.CreateReceiver("plain");
        await using var deadLetters = bus.Client.CreateReceiver("plain", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        await sender.SendMessageAsync(new ServiceBusMessage("poison") { MessageId = "poison-1" });

        var received = await receiver.ReceiveMessageAsync(Wait);
        await receiver.DeadLetterMessageAsync(received, "BadFormat", "The body is not JSON.");
        var dead = await deadLetters.ReceiveMessageAsync(Wait);

        Assert.Equal("poison-1", dead.MessageId);
        Assert.Equal("BadFormat", dead.DeadLetterReason);
        Assert.Equal("The body is not JSON.", dead.DeadLetterErrorDescription);
        Assert.Equal("plain", dead.DeadLetterSource);
        await deadLetters.CompleteMessageAsync(dead);
    }

    [Fact]
    public async Task A_message_delivered_max_delivery_count_times_goes_to_the_dead_letter_queue()
    {
        await using var sender = bus.Client.CreateSender("twice");
        await using var receiver = bus.Client.CreateReceiver("twice");
        await using var deadLetters = bus.Client.CreateReceiver("twice", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        await sender.SendMessageAsync(new ServiceBusMessage("fails"));

        await receiver.AbandonMessageAsync(await receiver.ReceiveMessageAsync(Wait));
        await receiver.AbandonMessageAsync(await receiver.ReceiveMessageAsync(Wait));

        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(300)));
        var dead = await deadLetters.ReceiveMessageAsync(Wait);
        Assert.Equal("MaxDeliveryCountExceeded", dead.DeadLetterReason);
        await deadLetters.CompleteMessageAsync(dead);
    }

    [Fact]
    public async Task An_expired_lock_redelivers_and_settling_afterwards_is_message_lock_lost()
    {
        await using var sender = bus.Client.CreateSender("short-lock");
        await using var receiver = bus.Client.CreateReceiver("short-lock");
        await sender.SendMessageAsync(new ServiceBusMessage("slow"));

        var first = await receiver.ReceiveMessageAsync(Wait);
        var again = await receiver.ReceiveMessageAsync(Wait);

        Assert.Equal(first.SequenceNumber, again.SequenceNumber);
        Assert.Equal(2, again.DeliveryCount);
        Assert.True(again.EnqueuedTime <= first.LockedUntil);
        var lost = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.CompleteMessageAsync(first));
        Assert.Equal(ServiceBusFailureReason.MessageLockLost, lost.Reason);
        await receiver.CompleteMessageAsync(again);
    }

    [Fact]
    public async Task Renewing_a_lock_keeps_the_message_past_its_original_lock()
    {
        await using var sender = bus.Client.CreateSender("renewed");
        await using var receiver = bus.Client.CreateReceiver("renewed");
        await sender.SendMessageAsync(new ServiceBusMessage("long job"));
        var received = await receiver.ReceiveMessageAsync(Wait);
        var original = received.LockedUntil;

        // Renewed every second against a 3-second lock, for longer than the lock: it must never lapse.
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await receiver.RenewMessageLockAsync(received);
        }

        Assert.True(received.LockedUntil > original);
        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(200)));
        await receiver.CompleteMessageAsync(received);
    }

    [Fact]
    public async Task Receive_and_delete_removes_the_message_on_delivery()
    {
        await using var sender = bus.Client.CreateSender("plain");
        await using var receiver = bus.Client.CreateReceiver("plain", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        await sender.SendMessageAsync(new ServiceBusMessage("once"));

        var received = await receiver.ReceiveMessageAsync(Wait);

        Assert.Equal("once", received.Body.ToString());
        Assert.Equal(0, bus.Bus.CountMessages("plain"));
    }

    [Fact]
    public async Task Expired_messages_are_dead_lettered_when_configured_and_dropped_otherwise()
    {
        await using var toExpiring = bus.Client.CreateSender("expiring");
        await using var toVanishing = bus.Client.CreateSender("vanishing");
        await toExpiring.SendMessageAsync(new ServiceBusMessage("stale") { MessageId = "stale-1" });
        await toVanishing.SendMessageAsync(new ServiceBusMessage("gone"));

        await using var deadLetters = bus.Client.CreateReceiver("expiring", new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var dead = await deadLetters.ReceiveMessageAsync(Wait);
        Assert.Equal("stale-1", dead.MessageId);
        Assert.Equal("TTLExpiredException", dead.DeadLetterReason);
        await deadLetters.CompleteMessageAsync(dead);
        await BusFixture.WaitUntilAsync(() => bus.Bus.CountMessages("vanishing") == 0, "the expired message is dropped");
        Assert.Equal(0, bus.Bus.CountMessages("vanishing/$deadletterqueue"));
    }

    [Fact]
    public async Task A_message_time_to_live_shorter_than_the_queue_default_applies()
    {
        await using var sender = bus.Client.CreateSender("brief");
        await using var receiver = bus.Client.CreateReceiver("brief");
        await sender.SendMessageAsync(new ServiceBusMessage("brief") { TimeToLive = TimeSpan.FromMilliseconds(300) });
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(500)));
        await BusFixture.WaitUntilAsync(() => bus.Bus.CountMessages("brief") == 0, "the expired message is dropped");
    }

    [Fact]
    public async Task Deferred_messages_are_received_by_sequence_number()
    {
        await using var sender = bus.Client.CreateSender("deferred");
        await using var receiver = bus.Client.CreateReceiver("deferred");
        await sender.SendMessageAsync(new ServiceBusMessage("later"));
        var received = await receiver.ReceiveMessageAsync(Wait);

        await receiver.DeferMessageAsync(received);
        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(300)));
        var deferred = await receiver.ReceiveDeferredMessageAsync(received.SequenceNumber);

        Assert.Equal("later", deferred.Body.ToString());
        await receiver.CompleteMessageAsync(deferred);
        Assert.Equal(0, bus.Bus.CountMessages("deferred"));
    }

    [Fact]
    public async Task Peek_shows_messages_without_locking_them()
    {
        await using var sender = bus.Client.CreateSender("peeked");
        await using var receiver = bus.Client.CreateReceiver("peeked");
        await sender.SendMessagesAsync([new ServiceBusMessage("a"), new ServiceBusMessage("b"), new ServiceBusMessage("c")]);

        var peeked = await receiver.PeekMessagesAsync(10);

        Assert.Equal(["a", "b", "c"], peeked.Select(m => m.Body.ToString()));
        Assert.True(peeked[0].SequenceNumber < peeked[1].SequenceNumber);
        var received = await receiver.ReceiveMessagesAsync(3, Wait);
        Assert.Equal(3, received.Count + (received.Count < 3 ? (await receiver.ReceiveMessagesAsync(3 - received.Count, Wait)).Count : 0));
        Assert.Empty(await receiver.PeekMessagesAsync(10, fromSequenceNumber: peeked[2].SequenceNumber + 1));
    }

    [Fact]
    public async Task A_batch_arrives_as_separate_messages_in_order()
    {
        await using var sender = bus.Client.CreateSender("plain");
        await using var receiver = bus.Client.CreateReceiver("plain", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        using var batch = await sender.CreateMessageBatchAsync();
        for (var i = 0; i < 20; i++)
        {
            Assert.True(batch.TryAddMessage(new ServiceBusMessage($"item-{i}")));
        }

        await sender.SendMessagesAsync(batch);
        var bodies = new List<string>();
        while (bodies.Count < 20)
        {
            var received = await receiver.ReceiveMessagesAsync(20, Wait);
            Assert.NotEmpty(received);
            bodies.AddRange(received.Select(m => m.Body.ToString()));
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"item-{i}"), bodies);
    }

    [Fact]
    public async Task A_repeated_message_id_within_the_window_is_dropped()
    {
        await using var sender = bus.Client.CreateSender("dedup");
        await using var receiver = bus.Client.CreateReceiver("dedup", new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });

        await sender.SendMessageAsync(new ServiceBusMessage("first") { MessageId = "escalation:42:dispatch:1" });
        await sender.SendMessageAsync(new ServiceBusMessage("resend") { MessageId = "escalation:42:dispatch:1" });
        await sender.SendMessageAsync(new ServiceBusMessage("other") { MessageId = "escalation:42:dispatch:2" });

        var bodies = new List<string>();
        ServiceBusReceivedMessage? next;
        while ((next = await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(500))) is not null)
        {
            bodies.Add(next.Body.ToString());
        }

        Assert.Equal(["first", "other"], bodies);
    }
}
