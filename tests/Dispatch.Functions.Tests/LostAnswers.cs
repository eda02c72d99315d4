using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Dispatch.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dispatch.Functions.Tests;

/// <summary>
/// Storage that does the work but whose answer never arrives, as a loaded emulator or a congested network does:
/// a chosen transaction goes through to the real Azurite and commits, then its answer is held until the client's
/// network timeout gives up on it, and the Azure SDK sends the same transaction again (it retries timeouts).
/// </summary>
/// <remarks>The retry then meets the state its own first attempt left: an ETag that no longer matches (412), a row that now exists (409).</remarks>
public sealed class LostAnswers : DelegatingHandler
{
    /// <summary>Short, so that a test waits for the timeout about a second, not the app's 5 seconds.</summary>
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(1);

    private readonly object gate = new();
    private Func<string, bool>? pick;
    private int lost;

    public LostAnswers()
        : base(new HttpClientHandler())
    {
    }

    /// <summary>Answers lost so far: a test that expected one and saw none did not test what it says.</summary>
    public int Lost => Volatile.Read(ref lost);

    /// <summary>The next entity-group transaction whose body (the multipart text sent) matches is committed and its answer lost; only that one.</summary>
    public void LoseNextTransaction(Func<string, bool> matches)
    {
        lock (gate)
        {
            pick = matches;
        }
    }

    /// <summary>An app host whose table client goes through <paramref name="answers"/>, with the app's own retry settings but a short network timeout.</summary>
    public static Task<ApiHost> StartHostAsync(string storage, LostAnswers answers, string? serviceBus = null) =>
        ApiHost.StartAsync(storage, serviceBus: serviceBus, services: collection =>
        {
            var options = new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(answers)) };
            options.Retry.MaxRetries = 2;
            options.Retry.Delay = TimeSpan.FromMilliseconds(200);
            options.Retry.NetworkTimeout = NetworkTimeout;
            collection.Replace(ServiceDescriptor.Singleton(new TableServiceClient(storage, options)));
        });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/$batch", StringComparison.Ordinal)
            && Volatile.Read(ref pick) is not null && request.Content is not null)
        {
            // Buffered here, the same bytes are then sent as they would have been.
            var body = await request.Content.ReadAsStringAsync(cancellationToken);
            bool chosen;
            lock (gate)
            {
                chosen = pick is not null && pick(body);
                if (chosen)
                {
                    pick = null;
                }
            }

            if (chosen)
            {
                using var committed = await base.SendAsync(request, cancellationToken);
                await committed.Content.ReadAsByteArrayAsync(cancellationToken);
                Interlocked.Increment(ref lost);
                // The answer is in; the app never sees it. The client's network timeout cancels this wait.
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
