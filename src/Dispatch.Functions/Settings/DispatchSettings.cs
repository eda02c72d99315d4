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
