using System.Net.Http.Json;
using System.Text.Json;

namespace Dispatch.Chief;

/// <summary>The policy's time zone, in which the desk shows times, and its language, from the app's board configuration (anonymous, no secrets).</summary>
public static class StationZone
{
    /// <summary>
    /// Asks until the API answers: <c>./dispatch chief</c> is often started before <c>up</c> is listening. UTC when it
    /// answers with no zone this machine knows.
    /// </summary>
    public static async Task<(TimeZoneInfo Zone, Core.Policy.Language? Language)> WaitAsync(HttpClient api, TimeSpan retryEvery, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                var config = await api.GetFromJsonAsync<JsonElement>("board/config.json", timeout.Token);
                Core.Policy.Language? language = config.TryGetProperty("language", out var tag) && Core.Policy.LanguageNames.TryParse(tag.GetString(), out var named) ? named : null;
                try
                {
                    return (TimeZoneInfo.FindSystemTimeZoneById(config.GetProperty("timeZone").GetString()!), language);
                }
                catch (Exception e) when (e is TimeZoneNotFoundException or KeyNotFoundException or InvalidOperationException)
                {
                    return (TimeZoneInfo.Utc, language);
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return (TimeZoneInfo.Utc, null);
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !stop.IsCancellationRequested))
            {
                await Task.Delay(retryEvery, stop);
            }
        }
    }
}
