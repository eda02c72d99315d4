using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Dispatch.Bus.Amqp;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Azure.Amqp.Sasl;
using Microsoft.Azure.Amqp.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dispatch.Bus;

/// <summary>
/// A Service-Bus-compatible broker that the unmodified Azure.Messaging.ServiceBus client talks to over
/// plain AMQP (the emulator connection string, <c>UseDevelopmentEmulator=true</c>). Built on the
/// server side of Microsoft.Azure.Amqp. Nothing persists across restarts, as with the official emulator.
/// </summary>
public sealed class LocalBus : IRuntimeProvider, IAsyncDisposable
{
    private const ulong MaxMessageSize = 256 * 1024;
    private readonly Dictionary<string, MessageEntity> entities = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IDestination> destinations = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, RequestNode> nodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<DuplicateDetector> detectors = [];
    private readonly ConcurrentDictionary<AmqpConnection, byte> connections = new();
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private AmqpTransportListener? listener;
    private Task? ticker;

    private LocalBus(BusConfig config, TimeProvider time, ILogger logger)
    {
        this.time = time;
        this.logger = logger;
        nodes[Cbs.Address] = new RequestNode(Cbs.Address, Cbs.Handle, logger);
        foreach (var queue in config.Queues)
        {
            var entity = AddEntity(queue.Name, queue.Options);
            var duplicates = new DuplicateDetector(queue.Options, time);
            detectors.Add(duplicates);
            AddDestination(queue.Name, new QueueDestination(entity, duplicates, logger), entity);
        }

        foreach (var topicConfig in config.Topics)
        {
            var topic = new Topic(topicConfig.Name, topicConfig.Options, time);
            detectors.Add(topic.Duplicates);
            foreach (var subscription in topicConfig.Subscriptions)
            {
                var path = $"{topicConfig.Name}/subscriptions/{subscription.Name}";
                var entity = AddEntity(path, subscription.Options);
                topic.Subscriptions.Add(new Subscription(subscription.Name, entity, subscription.Rules));
            }

            AddDestination(topicConfig.Name, new TopicDestination(topic, logger), null);
        }
    }

    public int Port { get; private set; }

    /// <summary>The official emulator's connection-string form, pointing at this broker.</summary>
    public string ConnectionString => ConnectionStringFor(Port);

    /// <summary>The emulator-form connection string of a local broker on <paramref name="port"/>.</summary>
    public static string ConnectionStringFor(int port) =>
        $"Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;";

    /// <summary>Raised when the listener stops accepting connections on its own (not when the broker is stopped).</summary>
    public event Action<Exception>? ListenerFaulted;

    /// <summary>Starts listening on 127.0.0.1; port 0 lets the system pick a free one.</summary>
    /// <exception cref="SocketException">The port is taken (<see cref="SocketError.AddressAlreadyInUse"/>): the port is never shared.</exception>
    public static LocalBus Start(BusConfig config, int port = 0, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        var bus = new LocalBus(config, time ?? TimeProvider.System, (loggers ?? NullLoggerFactory.Instance).CreateLogger("Dispatch.Bus"));
        bus.Listen(port);
        bus.ticker = bus.TickAsync(bus.stopping.Token);
        return bus;
    }

    /// <summary>Messages held by an entity (queue, subscription or their $deadletterqueue), for tests and diagnostics.</summary>
    public int CountMessages(string entityPath) => entities[Normalize(entityPath)].Count;

    /// <summary>Messages of an entity locked to a receiver right now (delivered and not yet settled).</summary>
    public int CountLocked(string entityPath) => entities[Normalize(entityPath)].LockedCount;

    /// <summary>How many times an entity has sent a message out to a receiver, handed-back ones included.</summary>
    public long CountDeliveries(string entityPath) => entities[Normalize(entityPath)].Deliveries;

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener?.Close();
        foreach (var connection in connections.Keys)
        {
            connection.SafeClose();
        }

        if (ticker is not null)
        {
            await ticker;
        }

        stopping.Dispose();
    }

    private void Listen(int port)
    {
        var settings = new AmqpSettings { RuntimeProvider = this };
        var sasl = new SaslTransportProvider();
        sasl.Versions.Add(new AmqpVersion(1, 0, 0));
        // The Service Bus client offers exactly this mechanism; the emulator accepts any token.
        sasl.AddHandler(new SaslAnonymousHandler("MSSBCBS"));
        sasl.AddHandler(new SaslAnonymousHandler());
        settings.TransportProviders.Add(sasl);
        var amqp = new AmqpTransportProvider();
        amqp.Versions.Add(new AmqpVersion(1, 0, 0));
        settings.TransportProviders.Add(amqp);

        var tcp = new ExclusiveTcpListener(new IPEndPoint(IPAddress.Loopback, port));
        tcp.Bind();
        tcp.Faulted += e => ListenerFaulted?.Invoke(e);
        var amqpListener = new AmqpTransportListener([tcp], settings);
        amqpListener.Listen(OnAcceptTransport);
        listener = amqpListener;
        Port = tcp.LocalEndPoint.Port;
    }

    private void OnAcceptTransport(TransportListener transportListener, TransportAsyncCallbackArgs args)
    {
        AmqpConnection? connection = null;
        try
        {
            var settings = new AmqpConnectionSettings
            {
                ContainerId = "dispatch-local-bus",
                MaxFrameSize = 64 * 1024,
                IdleTimeOut = 4 * 60 * 1000,
            };
            connection = new AmqpConnection(args.Transport, (ProtocolHeader)args.UserToken, false, ((AmqpTransportListener)listener!).AmqpSettings, settings);
            connection.Closed += (sender, _) =>
            {
                connections.TryRemove((AmqpConnection)sender!, out byte _);
                Log.ConnectionClosed(logger, ((AmqpConnection)sender!).Identifier.ToString());
            };
            connections[connection] = 0;
            connection.BeginOpen(AmqpConstants.DefaultTimeout, OnOpened, connection);
        }
        catch (Exception e) when (e is AmqpException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            connection?.SafeClose(e);
        }
    }

    private static void OnOpened(IAsyncResult result)
    {
        var connection = (AmqpConnection)result.AsyncState!;
        try
        {
            connection.EndOpen(result);
        }
        catch (Exception e) when (e is AmqpException or IOException or TimeoutException or ObjectDisposedException or OperationCanceledException)
        {
            connection.SafeClose(e);
        }
    }

    AmqpConnection IConnectionFactory.CreateConnection(TransportBase transport, ProtocolHeader protocolHeader, bool isInitiator, AmqpSettings amqpSettings, AmqpConnectionSettings connectionSettings) =>
        new(transport, protocolHeader, false, amqpSettings, connectionSettings);

    AmqpSession ISessionFactory.CreateSession(AmqpConnection connection, AmqpSessionSettings settings) =>
        throw new AmqpException(AmqpErrorCode.NotImplemented, "Sessions are created by the client.");

    AmqpLink ILinkFactory.CreateLink(AmqpSession session, AmqpLinkSettings settings)
    {
        settings.MaxMessageSize = MaxMessageSize;
        if (settings.IsReceiver())
        {
            settings.TotalLinkCredit = 500;
            settings.AutoSendFlow = true;
            return new ReceivingAmqpLink(session, settings);
        }

        return new SendingAmqpLink(session, settings);
    }

    IAsyncResult ILinkFactory.BeginOpenLink(AmqpLink link, TimeSpan timeout, AsyncCallback callback, object state)
    {
        var address = link.IsReceiver
            ? (link.Settings.Target as Target)?.Address?.ToString()
            : (link.Settings.Source as Source)?.Address?.ToString();
        var path = Normalize(address ?? "");
        try
        {
            Attach(link, path);
            Log.LinkAttached(logger, link.Name, path);
        }
        catch (AmqpException e)
        {
            Log.LinkRefused(logger, path, e.Message);
            throw;
        }

        return new CompletedResult(callback, state);
    }

    void ILinkFactory.EndOpenLink(IAsyncResult result)
    {
    }

    private void Attach(AmqpLink link, string path)
    {
        if (nodes.TryGetValue(path, out var node))
        {
            if (link is ReceivingAmqpLink requests)
            {
                node.AttachRequestLink(requests);
            }
            else
            {
                node.AttachReplyLink((SendingAmqpLink)link);
            }

            return;
        }

        if (link is ReceivingAmqpLink receiving)
        {
            _ = new Publisher(receiving, destinations.TryGetValue(path, out var destination)
                ? destination
                : throw NotFound(path, entities.ContainsKey(path) ? "it cannot be sent to (send to its topic)" : null), time);
        }
        else
        {
            _ = new Consumer((SendingAmqpLink)link, entities.TryGetValue(path, out var entity)
                ? entity
                : throw NotFound(path, destinations.ContainsKey(path) ? "it is a topic; receive from one of its subscriptions" : null));
        }
    }

    private MessageEntity AddEntity(string path, EntityOptions options)
    {
        var deadLetter = new MessageEntity($"{path}/$deadletterqueue", options, null, time, logger);
        var entity = new MessageEntity(path, options, deadLetter, time, logger);
        entities[Normalize(path)] = entity;
        entities[Normalize(deadLetter.Path)] = deadLetter;
        AddManagement(entity.Path, entity, null);
        AddManagement(deadLetter.Path, deadLetter, null);
        return entity;
    }

    private void AddDestination(string path, IDestination destination, MessageEntity? entity)
    {
        destinations[Normalize(path)] = destination;
        AddManagement(path, entity, destination);
    }

    private void AddManagement(string path, MessageEntity? entity, IDestination? destination)
    {
        var management = new Management(entity, destination, time);
        nodes[Normalize(path) + "/$management"] = new RequestNode(path + "/$management", management.Handle, logger);
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50), time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var entity in entities.Values)
                {
                    entity.Tick();
                }

                foreach (var detector in detectors)
                {
                    detector.Purge();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Entity addresses may come as full URIs or paths, in any case, with or without a leading slash.</summary>
    private static string Normalize(string address)
    {
        if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" or "sb")
        {
            address = uri.AbsolutePath;
        }

        return address.Trim('/').ToLowerInvariant();
    }

    private static AmqpException NotFound(string path, string? why) =>
        new(AmqpErrorCode.NotFound, $"The messaging entity '{path}' could not be found{(why is null ? "" : $": {why}")}.");

    private sealed class CompletedResult : IAsyncResult
    {
        public CompletedResult(AsyncCallback callback, object state)
        {
            AsyncState = state;
            callback(this);
        }

        public object AsyncState { get; }

        public WaitHandle AsyncWaitHandle => throw new NotSupportedException();

        public bool CompletedSynchronously => true;

        public bool IsCompleted => true;
    }
}
