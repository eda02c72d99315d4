using System.Net.Sockets;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Transport;

namespace Dispatch.Bus.Amqp;

/// <summary>
/// An accepted TCP connection as an AMQP transport (the library's own TcpTransport is internal), following
/// the library's callback contract: return false when the operation completed synchronously, otherwise
/// true and invoke <see cref="TransportAsyncCallbackArgs.CompletedCallback"/> later.
/// </summary>
internal sealed class SocketTransport : TransportBase
{
    private readonly Socket socket;

    public SocketTransport(Socket socket)
        : base("tcp")
    {
        this.socket = socket;
        socket.NoDelay = true;
        LocalEndPoint = socket.LocalEndPoint?.ToString() ?? "";
        RemoteEndPoint = socket.RemoteEndPoint?.ToString() ?? "";
    }

    public override string LocalEndPoint { get; }

    public override string RemoteEndPoint { get; }

    public override void SetMonitor(ITransportMonitor usageMeter)
    {
    }

    public override bool WriteAsync(TransportAsyncCallbackArgs args)
    {
        var write = SendAllAsync(args);
        if (write.IsCompleted)
        {
            Complete(args, write, synchronously: true);
            return false;
        }

        _ = write.ContinueWith(t => Complete(args, t, synchronously: false), TaskScheduler.Default);
        return true;
    }

    public override bool ReadAsync(TransportAsyncCallbackArgs args)
    {
        var read = socket.ReceiveAsync(new ArraySegment<byte>(args.Buffer, args.Offset, args.Count), SocketFlags.None);
        if (read.IsCompleted)
        {
            Complete(args, read, synchronously: true);
            return false;
        }

        _ = read.ContinueWith(t => Complete(args, t, synchronously: false), TaskScheduler.Default);
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

        socket.Dispose();
        return true;
    }

    protected override void AbortInternal() => socket.Dispose();

    private async Task<int> SendAllAsync(TransportAsyncCallbackArgs args)
    {
        if (args.Buffer is not null)
        {
            return await SendAsync(new ArraySegment<byte>(args.Buffer, args.Offset, args.Count));
        }

        var total = 0;
        foreach (var buffer in args.ByteBufferList)
        {
            total += await SendAsync(new ArraySegment<byte>(buffer.Buffer, buffer.Offset, buffer.Length));
        }

        return total;
    }

    private async Task<int> SendAsync(ArraySegment<byte> data)
    {
        var sent = 0;
        while (sent < data.Count)
        {
            sent += await socket.SendAsync(data.Slice(sent), SocketFlags.None);
        }

        return sent;
    }

    private static void Complete(TransportAsyncCallbackArgs args, Task<int> operation, bool synchronously)
    {
        args.CompletedSynchronously = synchronously;
        if (operation.IsCompletedSuccessfully)
        {
            args.BytesTransfered = operation.Result;
        }
        else
        {
            args.Exception = operation.Exception?.InnerException ?? new OperationCanceledException();
        }

        if (!synchronously)
        {
            args.CompletedCallback(args);
        }
    }
}
