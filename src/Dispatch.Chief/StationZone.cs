using System.Net.Http.Json;
using System.Text.Json;

namespace Dispatch.Chief;

/// <summary>The policy's time zone, in which the desk shows times, from the app's board configuration (anonymous, no secrets).</summary>
public static class StationZone
{
    /// <summary>
    /// Asks until the API answers: <c>./dispatch chief</c> is often started before <c>up</c> is listening. UTC when it
    /// answers with no zone this machine knows.
    /// </summary>
    public static async Task<TimeZoneInfo> WaitAsync(HttpClient api, TimeSpan retryEvery, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                var config = await api.GetFromJsonAsync<JsonElement>("board/config.json", timeout.Token);
                return TimeZoneInfo.FindSystemTimeZoneById(config.GetProperty("timeZone").GetString()!);
            }
            catch (Exception e) when (e is JsonException or TimeZoneNotFoundException or KeyNotFoundException or InvalidOperationException)
            {
                return TimeZoneInfo.Utc;
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !stop.IsCancellationRequested))
            {
                await Task.Delay(retryEvery, stop);
            }
        }
    }
}
