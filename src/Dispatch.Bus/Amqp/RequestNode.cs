using System.Collections.Concurrent;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Extensions.Logging;

namespace Dispatch.Bus.Amqp;

/// <summary>
/// A request/response node ($cbs, or an entity's $management): requests arrive on one link and the
/// reply goes out on the client's link whose target is the request's reply-to address.
/// </summary>
internal sealed class RequestNode(string name, Func<AmqpMessage, AmqpMessage> handle, ILogger logger)
{
    private readonly ConcurrentDictionary<(AmqpConnection, string), SendingAmqpLink> replyLinks = new();
    private long tag;

    public void AttachReplyLink(SendingAmqpLink link)
    {
        var key = (link.Session.Connection, (link.Settings.Target as Target)?.Address?.ToString() ?? "");
        replyLinks[key] = link;
        link.RegisterCreditListener((_, _, _) => { });
        link.RegisterDispositionListener(delivery => link.DisposeDelivery(delivery, true, delivery.State ?? new Accepted()));
        link.Closed += (_, _) => replyLinks.TryRemove(new KeyValuePair<(AmqpConnection, string), SendingAmqpLink>(key, link));
    }

    public void AttachRequestLink(ReceivingAmqpLink link) =>
        link.RegisterMessageListener(request =>
        {
            AmqpMessage response;
            try
            {
                response = handle(request);
            }
            catch (Exception e) when (e is AmqpException or InvalidOperationException or InvalidCastException or KeyNotFoundException or FormatException)
            {
                Log.RequestFailed(logger, e, name);
                response = Management.Response(500, e.Message, null);
            }

            response.Properties.CorrelationId = request.Properties.MessageId;
            var replyTo = request.Properties.ReplyTo?.ToString() ?? "";
            link.AcceptMessage(request, false);
            if (replyLinks.TryGetValue((link.Session.Connection, replyTo), out var reply))
            {
                reply.SendMessageNoWait(response, new ArraySegment<byte>(BitConverter.GetBytes(Interlocked.Increment(ref tag))), default);
            }

            request.Dispose();
        });
}

/// <summary>Claims-based security: every token is accepted, as the emulator does.</summary>
internal static class Cbs
{
    public const string Address = "$cbs";

    public static AmqpMessage Handle(AmqpMessage request)
    {
        var response = AmqpMessage.Create();
        response.ApplicationProperties = new ApplicationProperties();
        response.ApplicationProperties.Map["status-code"] = 200;
        response.ApplicationProperties.Map["status-description"] = "OK";
        return response;
    }
}
