using Dispatch.Core.Policy;
using Microsoft.Extensions.Configuration;

namespace Dispatch.Functions.Settings;

/// <summary>The app settings Dispatch reads (README, "Settings"); names are the app-setting names.</summary>
public sealed class DispatchSettings
{
    /// <summary>Path of a response policy JSON file; the built-in defaults apply when empty.</summary>
    [ConfigurationKeyName("DISPATCH_POLICY_FILE")]
    public string? PolicyFile { get; set; }

    /// <summary>The table that holds incidents; one per deployment (tests use one each).</summary>
    [ConfigurationKeyName("DISPATCH_TABLE")]
    public string TableName { get; set; } = "incidents";

    /// <summary>Where the API is reachable, for the incident links in escalation messages.</summary>
    [ConfigurationKeyName("DISPATCH_PUBLIC_URL")]
    public string PublicUrl { get; set; } = "http://127.0.0.1:7071";

    /// <summary>The policy's JSON itself, for hosts where a file is awkward (Azure app settings); wins over the file.</summary>
    [ConfigurationKeyName("DISPATCH_POLICY")]
    public string? PolicyJson { get; set; }

    /// <summary>The Entra ID authority whose tokens are accepted, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>.</summary>
    [ConfigurationKeyName("DISPATCH_AUTH_AUTHORITY")]
    public string? AuthAuthority { get; set; }

    /// <summary>The audience tokens must be for: the API's application ID URI or client id.</summary>
    [ConfigurationKeyName("DISPATCH_AUTH_AUDIENCE")]
    public string? AuthAudience { get; set; }

    /// <summary>The board's own app registration (a single-page application) in Entra ID; empty to sign in with links only.</summary>
    [ConfigurationKeyName("DISPATCH_BOARD_CLIENT_ID")]
    public string? BoardClientId { get; set; }

    /// <summary>The API scope the board asks Entra ID for, e.g. <c>api://dispatch-api/access_as_user</c>.</summary>
    [ConfigurationKeyName("DISPATCH_BOARD_SCOPE")]
    public string? BoardScope { get; set; }

    /// <summary>The local stack's signing key (<c>./dispatch up</c> writes it under .dispatch/); development only.</summary>
    [ConfigurationKeyName("DISPATCH_AUTH_LOCAL_KEY_FILE")]
    public string? LocalKeyFile { get; set; }

    /// <summary>The host's environment; <c>Development</c> is the only one that accepts the local issuer.</summary>
    [ConfigurationKeyName("AZURE_FUNCTIONS_ENVIRONMENT")]
    public string? Environment { get; set; }

    /// <summary>How many partitions the due index is spread over (1-8; only ever raise it on a running system).</summary>
    [ConfigurationKeyName("DISPATCH_INDEX_SHARDS")]
    public int IndexShards { get; set; } = 4;

    /// <summary>How long any API request may take end to end, retries included, before it is answered 503.</summary>
    [ConfigurationKeyName("DISPATCH_REQUEST_BUDGET")]
    public string RequestBudget { get; set; } = "PT5S";

    /// <summary>Requests without a valid token one source may make in a minute before it is answered 429 (per instance).</summary>
    [ConfigurationKeyName("DISPATCH_UNAUTHENTICATED_LIMIT")]
    public int UnauthenticatedLimit { get; set; } = 60;

    /// <summary>The language of the API's problem texts for a request whose Accept-Language names none it speaks (zh-CN or en).</summary>
    [ConfigurationKeyName("DISPATCH_LANGUAGE")]
    public string Language { get; set; } = "zh-CN";

    public Language DefaultLanguage => LanguageNames.TryParse(Language, out var language) ? language : Core.Policy.Language.ZhCn;

    /// <summary>The due index's table: the main table's name with <c>due</c> after it.</summary>
    public string IndexTableName => TableName + "due";

    /// <summary>How long one sweep may run, relay included, before it stops and leaves the rest to the next run.</summary>
    [ConfigurationKeyName("DISPATCH_SWEEP_BUDGET")]
    public string SweepBudget { get; set; } = "PT1M";

    public TimeSpan SweepBudgetTime => System.Xml.XmlConvert.ToTimeSpan(SweepBudget);

    /// <summary>The sweep's schedule (NCRONTAB with seconds): the timer's, and the health detail's yardstick.</summary>
    [ConfigurationKeyName("DISPATCH_SWEEP_SCHEDULE")]
    public string SweepSchedule { get; set; } = "*/5 * * * * *";

    /// <summary>The health detail is 503 when the oldest notice not yet confirmed sent is older than this.</summary>
    [ConfigurationKeyName("DISPATCH_HEALTH_OUTBOX_MAX_AGE")]
    public string OutboxMaxAge { get; set; } = "PT1M";

    public TimeSpan OutboxMaxAgeTime => System.Xml.XmlConvert.ToTimeSpan(OutboxMaxAge);

    /// <summary>The health detail reports the chief's or command center's subscription unread when its oldest message is older than this.</summary>
    [ConfigurationKeyName("DISPATCH_HEALTH_UNREAD_MAX_AGE")]
    public string UnreadMaxAge { get; set; } = "PT10M";

    public TimeSpan UnreadMaxAgeTime => System.Xml.XmlConvert.ToTimeSpan(UnreadMaxAge);

    public bool IsDevelopment => string.Equals(Environment, "Development", StringComparison.OrdinalIgnoreCase);

    public TimeSpan RequestBudgetTime => System.Xml.XmlConvert.ToTimeSpan(RequestBudget);

    /// <summary>Loads the configured policy, or the defaults. Throws <see cref="PolicyException"/> naming the bad field.</summary>
    public ResponsePolicy LoadPolicy()
    {
        if (!string.IsNullOrWhiteSpace(PolicyJson))
        {
            return PolicyParser.Parse(PolicyJson);
        }

        if (string.IsNullOrWhiteSpace(PolicyFile))
        {
            return ResponsePolicy.Default;
        }

        string json;
        try
        {
            json = File.ReadAllText(PolicyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyException("DISPATCH_POLICY_FILE", $"cannot read '{PolicyFile}': {e.Message}");
        }

        return PolicyParser.Parse(json);
    }
}
