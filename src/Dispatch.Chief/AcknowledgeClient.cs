using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Contracts;

namespace Dispatch.Chief;

/// <summary>Acknowledges through the Dispatch HTTP API, as the person the desk signed in as.</summary>
public sealed class AcknowledgeClient(HttpClient http, Func<CancellationToken, Task<string>> token)
{
    public async Task<(bool Ok, string Message)> AcknowledgeAsync(EscalationMessage escalation, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"incidents/{Uri.EscapeDataString(escalation.IncidentId)}/acknowledge")
        {
            Content = JsonContent.Create(new { level = escalation.Level > 0 ? escalation.Level : (int?)null }),
        };
        try
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token(cancellationToken));
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
        catch (Azure.Identity.AuthenticationFailedException e)
        {
            return (false, $"Could not sign in for the API: {e.Message}");
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
