using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml;

namespace Dispatch.Chief;

/// <summary>How an escalated clock ended, as the API reports it: met or stopped, when, and how late.</summary>
public sealed record ClockEnd(string How, DateTimeOffset At, TimeSpan OverdueBy);

/// <summary>
/// Learns from the API which escalated clocks have since ended. An escalation message says a deadline passed;
/// only the incident says when the unit was finally sent, so the desk asks, and a row whose clock has ended
/// stops counting.
/// </summary>
public sealed class ClockEnds(HttpClient http, Func<CancellationToken, Task<string>> token)
{
    /// <summary>Reads the incident of every row whose clock is not known to have ended, and freezes those that have.</summary>
    /// <returns>How many rows it froze.</returns>
    public async Task<int> RefreshAsync(Board board, CancellationToken cancellationToken)
    {
        var frozen = 0;
        foreach (var (incidentId, clock) in board.Running())
        {
            if (await EndOfAsync(incidentId, clock, cancellationToken) is { } end)
            {
                board.MarkEnded(incidentId, clock, end);
                frozen++;
            }
        }

        return frozen;
    }

    /// <returns>Null while the clock runs, or when the API cannot say (the next refresh asks again).</returns>
    public async Task<ClockEnd?> EndOfAsync(string incidentId, string clock, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"incidents/{Uri.EscapeDataString(incidentId)}");
        try
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token(cancellationToken));
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var state = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("clocks").GetProperty(clock);
            var (how, at) = state.TryGetProperty("metAt", out var met) && met.ValueKind == JsonValueKind.String ? ("met", met.GetDateTimeOffset())
                : state.TryGetProperty("stoppedAt", out var stopped) && stopped.ValueKind == JsonValueKind.String ? ("stopped", stopped.GetDateTimeOffset())
                : (null, default);
            if (how is null)
            {
                return null;
            }

            var overdueBy = state.TryGetProperty("overdueBy", out var late) && late.ValueKind == JsonValueKind.String
                ? XmlConvert.ToTimeSpan(late.GetString()!)
                : TimeSpan.Zero;
            return new ClockEnd(how, at, overdueBy);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or FormatException or InvalidOperationException
            or Azure.Identity.AuthenticationFailedException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
