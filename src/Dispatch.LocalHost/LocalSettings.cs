using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Dispatch.LocalHost;

public static class LocalSettings
{
    /// <summary>Adds the "Values" of local.settings.json, when there is one, as the Functions host does.</summary>
    public static IConfigurationBuilder AddLocalSettings(this IConfigurationBuilder builder, string directory)
    {
        var path = Path.Combine(directory, "local.settings.json");
        if (!File.Exists(path))
        {
            return builder;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var values = new Dictionary<string, string?>();
        if (document.RootElement.TryGetProperty("Values", out var section))
        {
            foreach (var property in section.EnumerateObject())
            {
                // "A__b" is how app settings spell configuration sections.
                values[property.Name.Replace("__", ":", StringComparison.Ordinal)] = property.Value.ToString();
            }
        }

        return builder.AddInMemoryCollection(values);
    }
}
