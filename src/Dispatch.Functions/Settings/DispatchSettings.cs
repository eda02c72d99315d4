using Dispatch.Core.Policy;
using Microsoft.Extensions.Configuration;

namespace Dispatch.Functions.Settings;

/// <summary>The app settings Dispatch reads (README, "Settings"); names are the app-setting names.</summary>
public sealed class DispatchSettings
{
    /// <summary>Path of a response policy JSON file; the built-in defaults apply when empty.</summary>
    [ConfigurationKeyName("DISPATCH_POLICY_FILE")]
    public string? PolicyFile { get; set; }

    /// <summary>Loads the configured policy, or the defaults. Throws <see cref="PolicyException"/> naming the bad field.</summary>
    public ResponsePolicy LoadPolicy()
    {
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
