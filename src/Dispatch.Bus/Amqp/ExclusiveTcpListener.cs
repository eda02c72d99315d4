using System.Net;
using System.Net.Sockets;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Transport;

namespace Dispatch.Bus.Amqp;

/// <summary>
/// Accepts AMQP connections on one loopback port that no other process can share.
/// </summary>
/// <remarks>
/// Microsoft.Azure.Amqp's own TcpTransportListener sets <see cref="SocketOptionName.ReuseAddress"/>, which
/// .NET on Linux turns into SO_REUSEADDR <em>and</em> SO_REUSEPORT: a second broker on the same port then
/// binds too, and clients are split between the two. This listener sets only SO_REUSEADDR (so a restart
/// is not blocked by connections in TIME_WAIT), which keeps the port exclusive: the bind itself fails
/// with <see cref="SocketError.AddressAlreadyInUse"/> when the port is taken.
/// </remarks>
internal sealed class ExclusiveTcpListener(IPEndPoint endpoint) : TransportListener("exclusive-tcp")
{
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private Socket? socket;

    /// <summary>Raised when accepting stops for a reason other than the broker closing it.</summary>
    public event Action<Exception>? Faulted;

    public IPEndPoint LocalEndPoint => (IPEndPoint)socket!.LocalEndPoint!;

    /// <summary>Binds and listens at once, so a taken port is reported by the caller that asked for it.</summary>
    public void Bind()
    {
        var listening = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (OperatingSystem.IsLinux())
            {
                listening.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            }

            listening.Bind(endpoint);
            listening.Listen(200);
        }
        catch
        {
            listening.Dispose();
            throw;
        }

        socket = listening;
    }

    protected override void OnListen()
    {
        if (socket is null)
        {
            Bind();
        }

        _ = AcceptLoopAsync(socket!);
    }

    protected override bool CloseInternal()
    {
        socket?.Dispose();
        return true;
    }

    protected override void AbortInternal() => socket?.Dispose();

    private async Task AcceptLoopAsync(Socket listening)
    {
        while (State != AmqpObjectState.End)
        {
            Socket accepted;
            try
            {
                accepted = await listening.AcceptAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException || (e is SocketException s && s.SocketErrorCode == SocketError.OperationAborted))
            {
                return;
            }
            catch (SocketException e) when (IsTransient(e.SocketErrorCode))
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                Faulted?.Invoke(e);
                return;
            }

            var transport = new SocketTransport(accepted);
            transport.Open();
            OnTransportAccepted(new TransportAsyncCallbackArgs { Transport = transport, CompletedSynchronously = false });
        }
    }

    private static bool IsTransient(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;
}
