using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatch.Contracts;

namespace Dispatch.Chief;

/// <summary>Acknowledges through the Dispatch HTTP API, as the person the desk signed in as.</summary>
/// <param name="words">The desk's words: its own messages, and the language it asks the API to give its reasons in.</param>
public sealed class AcknowledgeClient(HttpClient http, Func<CancellationToken, Task<string>> token, Func<Words>? words = null)
{
    private Words Words => words?.Invoke() ?? Words.For(Core.Policy.Language.En);

    /// <remarks>
    /// A long-pause notice (issue 28) is information, not an escalation: it has no ladder to stop, and the API acknowledges
    /// ladders only (an acknowledgement sent for it would be refused 409, or stop another clock's ladder at the same level).
    /// The desk says so and asks nothing.
    /// </remarks>
    public async Task<(bool Ok, string Message)> AcknowledgeAsync(EscalationMessage escalation, CancellationToken cancellationToken)
    {
        if (escalation.Kind == BoardEntry.LongPauseKind)
        {
            return (false, Words["desk.long-pause-information", ("incident", escalation.IncidentId)]);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"incidents/{Uri.EscapeDataString(escalation.IncidentId)}/acknowledge")
        {
            Content = JsonContent.Create(new { level = escalation.Level > 0 ? escalation.Level : (int?)null }),
        };
        try
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token(cancellationToken));
            request.Headers.AcceptLanguage.ParseAdd(Core.Policy.LanguageNames.Tag(Words.Language));
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (true, Words["desk.acknowledged", ("incident", escalation.IncidentId)]);
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var detail = TryDetail(text) ?? text;
            return (false, $"{(int)response.StatusCode}: {detail}");
        }
        catch (HttpRequestException e)
        {
            return (false, Words["desk.no-answer", ("api", http.BaseAddress), ("reason", e.Message)]);
        }
        catch (Azure.Identity.AuthenticationFailedException e)
        {
            return (false, Words["desk.no-sign-in", ("reason", e.Message)]);
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
