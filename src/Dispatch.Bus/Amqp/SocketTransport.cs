using System.Net.Sockets;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Transport;

namespace Dispatch.Bus.Amqp;

/// <summary>
/// An accepted TCP connection as an AMQP transport (the library's own TcpTransport is internal), following
/// the library's callback contract: return false when the operation completed synchronously, otherwise
/// true and invoke <see cref="TransportAsyncCallbackArgs.CompletedCallback"/> later.
/// </summary>
/// <remarks>
/// System calls, not the broker's own work, are most of what a message costs on loopback, so this transport
/// makes as few as it can:
/// <list type="bullet">
/// <item>The library reads each frame in two small reads (its size, then its body). Reads are served from one
/// buffer that a single receive fills with as many frames as have arrived.</item>
/// <item>Frames read in one receive are handed to the library one after another on the thread that received
/// them, and whatever that thread writes meanwhile (dispositions, deliveries) is held and goes out in one
/// send once it has handled them all. Writes from other threads go out at once, in order, as the library's
/// writer queues them behind a held one.</item>
/// <item>A list of buffers goes out in one send (a gather write), never one send per buffer.</item>
/// </list>
/// A completed receive reaches this class on a thread-pool thread, which .NET's socket engine wakes from its
/// epoll thread (one hop per receive, seen in a trace: <c>ThreadPoolWorkQueue.Dispatch</c> → <c>DispatchReads</c>);
/// its frames, and the writes they cause, are then handled on that thread with no further hop.
/// </remarks>
internal sealed class SocketTransport : TransportBase, IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;
    private readonly Socket socket;
    private readonly SocketAsyncEventArgs receiveArgs = new();
    private readonly SocketAsyncEventArgs sendArgs = new();
    private readonly byte[] buffer = new byte[ReceiveBufferSize];
    private int receivedStart;
    private int receivedEnd;
    private TransportAsyncCallbackArgs? pendingRead;
    private TransportAsyncCallbackArgs? pendingWrite;
    private int pendingWriteTotal;
    private TransportAsyncCallbackArgs? heldWrite;
    private readonly object readGate = new();

    /// <summary>The managed thread handing received frames to the library right now; 0 when none is.</summary>
    private volatile int dispatchingThread;

    /// <summary>A receive is outstanding on the socket.</summary>
    private bool receiveOutstanding;

    public SocketTransport(Socket socket)
        : base("tcp")
    {
        this.socket = socket;
        socket.NoDelay = true;
        LocalEndPoint = socket.LocalEndPoint?.ToString() ?? "";
        RemoteEndPoint = socket.RemoteEndPoint?.ToString() ?? "";
        receiveArgs.SetBuffer(buffer, 0, buffer.Length);
        receiveArgs.Completed += (_, _) => DispatchReads(failure: null);
        sendArgs.Completed += (_, _) => OnSendCompleted();
    }

    public override string LocalEndPoint { get; }

    public override string RemoteEndPoint { get; }

    public override void SetMonitor(ITransportMonitor usageMeter)
    {
    }

    public override bool WriteAsync(TransportAsyncCallbackArgs args)
    {
        // The library's writer never has two writes outstanding, so at most one is held.
        if (dispatchingThread == Environment.CurrentManagedThreadId)
        {
            heldWrite = args;
            return true;
        }

        return !Send(args, synchronousCaller: true);
    }

    public override bool ReadAsync(TransportAsyncCallbackArgs args)
    {
        lock (readGate)
        {
            if (dispatchingThread != 0 || receiveOutstanding)
            {
                // A loop handing frames over, or a receive's completion, serves it.
                pendingRead = args;
                return true;
            }

            if (receivedEnd > receivedStart)
            {
                CopyReceived(args);
                args.CompletedSynchronously = true;
                return false;
            }

            pendingRead = args;
            receiveOutstanding = true;
        }

        if (TryStartReceive(out var failure))
        {
            // Completed at once: hand it over on another thread, as the contract wants once a read is pending.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Transport.DispatchReads(state.Failure), (Transport: this, Failure: failure), preferLocal: false);
        }

        return true;
    }

    protected override bool OpenInternal() => true;

    protected override bool CloseInternal()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
        }

        Dispose();
        return true;
    }

    protected override void AbortInternal() => Dispose();

    /// <summary>Closes the socket; an operation still outstanding completes with an error, and its event arguments are freed after it.</summary>
    public void Dispose()
    {
        socket.Dispose();
        receiveArgs.Dispose();
        sendArgs.Dispose();
    }

    /// <summary>
    /// Takes a completed receive, then hands its frames to the library while it asks for more, holding what this
    /// thread writes meanwhile; sends that in one go and receives again, looping here while receives complete at once.
    /// </summary>
    private void DispatchReads(Exception? failure)
    {
        while (true)
        {
            var received = failure is null && receiveArgs.SocketError == SocketError.Success && receiveArgs.BytesTransferred > 0;
            lock (readGate)
            {
                receiveOutstanding = false;
                if (received)
                {
                    receivedStart = 0;
                    receivedEnd = receiveArgs.BytesTransferred;
                    dispatchingThread = Environment.CurrentManagedThreadId;
                }
            }

            if (!received)
            {
                failure ??= receiveArgs.SocketError == SocketError.Success ? null : new SocketException((int)receiveArgs.SocketError);
                // The peer closed the connection (no bytes), or the receive failed: the library's read learns it.
                FailRead(failure);
                return;
            }

            bool receiveAgain;
            while (true)
            {
                TransportAsyncCallbackArgs? read = null;
                lock (readGate)
                {
                    if (pendingRead is not null && receivedEnd > receivedStart)
                    {
                        read = pendingRead;
                        pendingRead = null;
                    }
                    else
                    {
                        dispatchingThread = 0;
                        // With bytes left and no read asked for, they wait for the next ReadAsync.
                        receiveAgain = pendingRead is not null && receivedEnd == receivedStart;
                        receiveOutstanding = receiveAgain;
                        break;
                    }
                }

                // The buffer is this thread's while it dispatches: a ReadAsync from elsewhere only leaves its args.
                CopyReceived(read);
                read.CompletedSynchronously = false;
                read.CompletedCallback(read);
            }

            FlushHeldWrite();
            if (!receiveAgain || !TryStartReceive(out failure))
            {
                return;
            }
        }
    }

    /// <returns>False when the receive is pending (its completion dispatches); true when it completed at once.</returns>
    private bool TryStartReceive(out Exception? failure)
    {
        failure = null;
        try
        {
            return !socket.ReceiveAsync(receiveArgs);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            failure = e;
            return true;
        }
    }

    private void CopyReceived(TransportAsyncCallbackArgs args)
    {
        var count = Math.Min(args.Count, receivedEnd - receivedStart);
        Buffer.BlockCopy(buffer, receivedStart, args.Buffer, args.Offset, count);
        receivedStart += count;
        args.BytesTransfered = count;
    }

    private void FailRead(Exception? error)
    {
        TransportAsyncCallbackArgs? read;
        lock (readGate)
        {
            read = pendingRead;
            pendingRead = null;
        }

        FlushHeldWrite();
        if (read is null)
        {
            return;
        }

        read.CompletedSynchronously = false;
        read.BytesTransfered = 0;
        read.Exception = error;
        read.CompletedCallback(read);
    }

    private void FlushHeldWrite()
    {
        if (heldWrite is { } held)
        {
            heldWrite = null;
            Send(held, synchronousCaller: false);
        }
    }

    /// <summary>Starts sendArgs; when it completes at once, reports it now (synchronously, or through the callback).</summary>
    /// <returns>True when the send completed at once.</returns>
    private bool Send(TransportAsyncCallbackArgs args, bool synchronousCaller)
    {
        pendingWrite = args;
        pendingWriteTotal = 0;
        try
        {
            if (args.Buffer is not null)
            {
                sendArgs.BufferList = null;
                sendArgs.SetBuffer(args.Buffer, args.Offset, args.Count);
                pendingWriteTotal = args.Count;
            }
            else
            {
                var buffers = new ArraySegment<byte>[args.ByteBufferList.Count];
                for (var i = 0; i < buffers.Length; i++)
                {
                    var buffer = args.ByteBufferList[i];
                    buffers[i] = new ArraySegment<byte>(buffer.Buffer, buffer.Offset, buffer.Length);
                    pendingWriteTotal += buffer.Length;
                }

                sendArgs.SetBuffer(null, 0, 0);
                sendArgs.BufferList = buffers;
            }

            if (socket.SendAsync(sendArgs))
            {
                return false;
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return CompleteWrite(e, synchronousCaller);
        }

        return CompleteWrite(sendArgs.SocketError == SocketError.Success ? null : new SocketException((int)sendArgs.SocketError), synchronousCaller);
    }

    private void OnSendCompleted() =>
        CompleteWrite(sendArgs.SocketError == SocketError.Success ? null : new SocketException((int)sendArgs.SocketError), synchronousCaller: false);

    private bool CompleteWrite(Exception? error, bool synchronousCaller)
    {
        var args = pendingWrite!;
        pendingWrite = null;
        // A stream socket's send completes once every byte is sent, or fails.
        args.BytesTransfered = error is null ? pendingWriteTotal : 0;
        args.Exception = error;
        args.CompletedSynchronously = synchronousCaller;
        if (!synchronousCaller)
        {
            args.CompletedCallback(args);
        }

        return true;
    }
}
