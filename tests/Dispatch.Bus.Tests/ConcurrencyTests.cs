using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace Dispatch.Bus.Tests;

[Collection(SharedBus.Name)]
public sealed class ConcurrencyTests(BusFixture bus)
{
    [Fact]
    public async Task A_processor_with_concurrent_calls_handles_every_message_exactly_once()
    {
        const int count = 200;
        await using var sender = bus.Client.CreateSender("busy");
        for (var i = 0; i < count; i += 50)
        {
            await sender.SendMessagesAsync(Enumerable.Range(i, 50).Select(n => new ServiceBusMessage($"{n}")));
        }

        var seen = new ConcurrentDictionary<string, int>();
        var done = new TaskCompletionSource();
        var concurrent = 0;
        var maxConcurrent = 0;
        await using var processor = bus.Client.CreateProcessor("busy", new ServiceBusProcessorOptions { MaxConcurrentCalls = 8, AutoCompleteMessages = true });
        processor.ProcessMessageAsync += async args =>
        {
            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref maxConcurrent, now);
            await Task.Delay(5);
            seen.AddOrUpdate(args.Message.Body.ToString(), 1, (_, n) => n + 1);
            Interlocked.Decrement(ref concurrent);
            if (seen.Count == count)
            {
                done.TrySetResult();
            }
        };
        processor.ProcessErrorAsync += args =>
        {
            done.TrySetException(args.Exception);
            return Task.CompletedTask;
        };

        await processor.StartProcessingAsync();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await processor.StopProcessingAsync();

        Assert.Equal(count, seen.Count);
        Assert.All(seen.Values, n => Assert.Equal(1, n));
        Assert.True(maxConcurrent > 1, $"expected concurrent calls, saw at most {maxConcurrent}");
        Assert.Equal(0, bus.Bus.CountMessages("busy"));
    }

    [Fact]
    public async Task Many_senders_and_receivers_at_once_lose_and_duplicate_nothing()
    {
        const int senders = 8;
        const int perSender = 25;
        await using var clientA = bus.NewClient();
        await using var clientB = bus.NewClient();
        var received = new ConcurrentBag<string>();

        var sending = Enumerable.Range(0, senders).Select(async s =>
        {
            await using var sender = (s % 2 == 0 ? clientA : clientB).CreateSender("plain");
            for (var i = 0; i < perSender; i++)
            {
                await sender.SendMessageAsync(new ServiceBusMessage($"{s}-{i}"));
            }
        });
        var receiving = Enumerable.Range(0, 4).Select(async r =>
        {
            await using var receiver = (r % 2 == 0 ? clientB : clientA).CreateReceiver("plain");
            var idle = 0;
            // Until everything has arrived, or nothing more comes for a while (a loss would show as a short count).
            while (received.Count < senders * perSender && idle < 20)
            {
                var batch = await receiver.ReceiveMessagesAsync(10, TimeSpan.FromMilliseconds(500));
                idle = batch.Count == 0 ? idle + 1 : 0;
                foreach (var message in batch)
                {
                    received.Add(message.Body.ToString());
                    await receiver.CompleteMessageAsync(message);
                }
            }
        });
        await Task.WhenAll(sending.Concat(receiving));

        Assert.Equal(senders * perSender, received.Count);
        Assert.Equal(senders * perSender, received.Distinct().Count());
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_lock_loses_nothing()
    {
        await using (var sender = bus.Client.CreateSender("disconnect"))
        {
            await sender.SendMessageAsync(new ServiceBusMessage("survives") { MessageId = "survivor" });
        }

        await using (var doomed = bus.NewClient())
        {
            var receiver = doomed.CreateReceiver("disconnect");
            Assert.NotNull(await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(10)));
        }

        await using var receiverAfter = bus.Client.CreateReceiver("disconnect");
        var again = await receiverAfter.ReceiveMessageAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("survivor", again.MessageId);
        Assert.Equal(2, again.DeliveryCount);
        await receiverAfter.CompleteMessageAsync(again);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
