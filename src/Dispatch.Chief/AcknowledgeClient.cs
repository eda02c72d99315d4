using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Dispatch.Chief;

/// <summary>Acknowledges through the Dispatch HTTP API, as the chief.</summary>
public sealed class AcknowledgeClient(HttpClient http, string actor)
{
    public async Task<(bool Ok, string Message)> AcknowledgeAsync(Escalation escalation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"incidents/{Uri.EscapeDataString(escalation.IncidentId)}/acknowledge")
        {
            Content = JsonContent.Create(new { by = actor, level = escalation.Level > 0 ? escalation.Level : (int?)null }),
        };
        request.Headers.Add("X-Actor", actor);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (true, $"Acknowledged {escalation.IncidentId}.");
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var detail = TryDetail(text) ?? text;
            return (false, $"{(int)response.StatusCode}: {detail}");
        }
        catch (HttpRequestException e)
        {
            return (false, $"The API at {http.BaseAddress} did not answer: {e.Message}");
        }
    }

    private static string? TryDetail(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["detail"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
