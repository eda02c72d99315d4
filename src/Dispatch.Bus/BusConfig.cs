using System.Text.Json;
using System.Xml;

namespace Dispatch.Bus;

/// <summary>A queue's, topic's or subscription's settings, with the official emulator's defaults.</summary>
public sealed record EntityOptions
{
    public TimeSpan LockDuration { get; init; } = TimeSpan.FromMinutes(1);

    public int MaxDeliveryCount { get; init; } = 3;

    public TimeSpan DefaultMessageTimeToLive { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan DuplicateDetectionHistoryTimeWindow { get; init; } = TimeSpan.FromSeconds(20);

    public bool RequiresDuplicateDetection { get; init; }

    public bool DeadLetteringOnMessageExpiration { get; init; }
}

/// <summary>A correlation filter: every property it names must equal the message's.</summary>
public sealed record CorrelationRule(string Name, IReadOnlyDictionary<string, string> SystemProperties, IReadOnlyDictionary<string, object> ApplicationProperties);

public sealed record QueueConfig(string Name, EntityOptions Options);

public sealed record SubscriptionConfig(string Name, EntityOptions Options, IReadOnlyList<CorrelationRule> Rules);

public sealed record TopicConfig(string Name, EntityOptions Options, IReadOnlyList<SubscriptionConfig> Subscriptions);

public sealed record BusConfig(IReadOnlyList<QueueConfig> Queues, IReadOnlyList<TopicConfig> Topics)
{
    public static BusConfig Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BusConfigException(path, $"cannot be read: {e.Message}");
        }

        return Parse(json);
    }

    /// <summary>Reads the official Service Bus emulator's config.json schema; anything unknown is refused by name.</summary>
    public static BusConfig Parse(string json)
    {
        using var document = Parse(json, "$");
        var root = document.RootElement;
        Known(root, "$", "UserConfig");
        var user = Required(root, "UserConfig", "UserConfig");
        Known(user, "UserConfig", "Namespaces", "Logging");
        var namespaces = Array(Required(user, "Namespaces", "UserConfig.Namespaces"), "UserConfig.Namespaces");
        var queues = new List<QueueConfig>();
        var topics = new List<TopicConfig>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var n = 0; n < namespaces.Count; n++)
        {
            var path = $"Namespaces[{n}]";
            var ns = namespaces[n];
            Known(ns, path, "Name", "Queues", "Topics");
            if (ns.TryGetProperty(nameof(Queues), out var queueArray))
            {
                var items = Array(queueArray, $"{path}.Queues");
                for (var q = 0; q < items.Count; q++)
                {
                    var queuePath = $"{path}.Queues[{q}]";
                    Known(items[q], queuePath, "Name", "Properties");
                    var name = EntityName(items[q], queuePath, names);
                    queues.Add(new QueueConfig(name, Options(items[q], $"Queue '{name}'", EntityKind.Queue)));
                }
            }

            if (ns.TryGetProperty(nameof(Topics), out var topicArray))
            {
                var items = Array(topicArray, $"{path}.Topics");
                for (var t = 0; t < items.Count; t++)
                {
                    var topicPath = $"{path}.Topics[{t}]";
                    Known(items[t], topicPath, "Name", "Properties", "Subscriptions");
                    var name = EntityName(items[t], topicPath, names);
                    var subscriptions = new List<SubscriptionConfig>();
                    var subscriptionNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                    if (items[t].TryGetProperty("Subscriptions", out var subscriptionArray))
                    {
                        var subs = Array(subscriptionArray, $"Topic '{name}'.Subscriptions");
                        for (var s = 0; s < subs.Count; s++)
                        {
                            var subPath = $"Topic '{name}'.Subscriptions[{s}]";
                            Known(subs[s], subPath, "Name", "Properties", "Rules");
                            var subName = EntityName(subs[s], subPath, subscriptionNames);
                            var entry = $"Subscription '{name}/{subName}'";
                            subscriptions.Add(new SubscriptionConfig(subName, Options(subs[s], entry, EntityKind.Subscription), Rules(subs[s], entry)));
                        }
                    }

                    topics.Add(new TopicConfig(name, Options(items[t], $"Topic '{name}'", EntityKind.Topic), subscriptions));
                }
            }
        }

        return new BusConfig(queues, topics);
    }

    private enum EntityKind { Queue, Topic, Subscription }

    private static EntityOptions Options(JsonElement entity, string entry, EntityKind kind)
    {
        var options = new EntityOptions();
        if (!entity.TryGetProperty("Properties", out var properties))
        {
            return options;
        }

        string[] allowed = kind switch
        {
            EntityKind.Queue => ["DeadLetteringOnMessageExpiration", "DefaultMessageTimeToLive", "DuplicateDetectionHistoryTimeWindow", "LockDuration",
                "MaxDeliveryCount", "RequiresDuplicateDetection", "RequiresSession", "ForwardTo", "ForwardDeadLetteredMessagesTo"],
            EntityKind.Topic => ["DefaultMessageTimeToLive", "DuplicateDetectionHistoryTimeWindow", "RequiresDuplicateDetection"],
            _ => ["DeadLetteringOnMessageExpiration", "DefaultMessageTimeToLive", "LockDuration", "MaxDeliveryCount", "RequiresSession",
                "ForwardTo", "ForwardDeadLetteredMessagesTo"],
        };
        Known(properties, $"{entry}.Properties", allowed);
        foreach (var property in properties.EnumerateObject())
        {
            var field = $"{entry}.Properties.{property.Name}";
            options = property.Name switch
            {
                "LockDuration" => options with { LockDuration = Duration(property.Value, field, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)) },
                "DefaultMessageTimeToLive" => options with { DefaultMessageTimeToLive = Duration(property.Value, field, TimeSpan.FromSeconds(1), TimeSpan.MaxValue) },
                "DuplicateDetectionHistoryTimeWindow" => options with
                {
                    DuplicateDetectionHistoryTimeWindow = Duration(property.Value, field, TimeSpan.FromSeconds(20), TimeSpan.FromDays(7)),
                },
                "MaxDeliveryCount" => options with { MaxDeliveryCount = Int(property.Value, field, 1, 2000) },
                "RequiresDuplicateDetection" => options with { RequiresDuplicateDetection = Bool(property.Value, field) },
                "DeadLetteringOnMessageExpiration" => options with { DeadLetteringOnMessageExpiration = Bool(property.Value, field) },
                "RequiresSession" => Bool(property.Value, field)
                    ? throw new BusConfigException(field, "sessions are not supported by the local broker; use the official emulator")
                    : options,
                _ => property.Value.ValueKind is JsonValueKind.Null || property.Value.GetString() is null or ""
                    ? options
                    : throw new BusConfigException(field, "auto-forwarding is not supported by the local broker; use the official emulator"),
            };
        }

        return options;
    }

    private static List<CorrelationRule> Rules(JsonElement subscription, string entry)
    {
        var rules = new List<CorrelationRule>();
        if (!subscription.TryGetProperty("Rules", out var array))
        {
            return rules;
        }

        var items = Array(array, $"{entry}.Rules");
        for (var r = 0; r < items.Count; r++)
        {
            var path = $"{entry}.Rules[{r}]";
            Known(items[r], path, "Name", "Properties");
            var name = RequiredString(items[r], "Name", $"{path}.Name");
            var properties = Required(items[r], "Properties", $"{path}.Properties");
            Known(properties, $"{path}.Properties", "FilterType", "CorrelationFilter", "SqlFilter", "Action");
            var type = RequiredString(properties, "FilterType", $"{path}.Properties.FilterType");
            if (!type.Equals("Correlation", StringComparison.OrdinalIgnoreCase))
            {
                throw new BusConfigException($"{path}.Properties.FilterType", $"'{type}' filters are not supported by the local broker; use Correlation");
            }

            var filter = Required(properties, "CorrelationFilter", $"{path}.Properties.CorrelationFilter");
            string[] systemNames = ["ContentType", "CorrelationId", "Label", "MessageId", "ReplyTo", "ReplyToSessionId", "SessionId", "To"];
            Known(filter, $"{path}.Properties.CorrelationFilter", [.. systemNames, "Properties"]);
            var system = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var systemName in systemNames)
            {
                if (filter.TryGetProperty(systemName, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    system[systemName] = value.GetString()!;
                }
            }

            var application = new Dictionary<string, object>(StringComparer.Ordinal);
            if (filter.TryGetProperty("Properties", out var props))
            {
                foreach (var p in props.EnumerateObject())
                {
                    application[p.Name] = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString()!,
                        JsonValueKind.Number when p.Value.TryGetInt64(out var l) => l,
                        JsonValueKind.Number => p.Value.GetDouble(),
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw new BusConfigException($"{path}.Properties.CorrelationFilter.Properties.{p.Name}", "must be a string, number or boolean"),
                    };
                }
            }

            rules.Add(new CorrelationRule(name, system, application));
        }

        return rules;
    }

    private static JsonDocument Parse(string json, string entry)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new BusConfigException(entry, $"is not valid JSON: {e.Message}");
        }
    }

    private static string EntityName(JsonElement entity, string path, HashSet<string> seen)
    {
        var name = RequiredString(entity, "Name", $"{path}.Name");
        if (name.Length > 260 || name.Contains('$', StringComparison.Ordinal) || name.StartsWith('/') || name.EndsWith('/'))
        {
            throw new BusConfigException($"{path}.Name", $"'{name}' is not a valid entity name");
        }

        return seen.Add(name) ? name : throw new BusConfigException($"{path}.Name", $"'{name}' is declared twice");
    }

    private static List<JsonElement> Array(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : throw new BusConfigException(path, "must be an array");

    private static JsonElement Required(JsonElement element, string name, string path) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : throw new BusConfigException(path, "is required");

    private static string RequiredString(JsonElement element, string name, string path)
    {
        var value = Required(element, name, path);
        return value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()!
            : throw new BusConfigException(path, "must be a non-empty string");
    }

    private static void Known(JsonElement element, string path, params string[] names)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new BusConfigException(path, "must be an object");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!names.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new BusConfigException($"{path}.{property.Name}", $"is not a known setting (expected one of {string.Join(", ", names)})");
            }
        }
    }

    private static TimeSpan Duration(JsonElement value, string path, TimeSpan min, TimeSpan max)
    {
        try
        {
            var duration = XmlConvert.ToTimeSpan(value.GetString() ?? "");
            return duration >= min && duration <= max ? duration : throw new BusConfigException(path, $"must be between {XmlConvert.ToString(min)} and {(max == TimeSpan.MaxValue ? "unbounded" : XmlConvert.ToString(max))}");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException)
        {
            throw new BusConfigException(path, "must be an ISO-8601 duration such as PT1M");
        }
    }

    private static int Int(JsonElement value, string path, int min, int max) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= min && n <= max
            ? n
            : throw new BusConfigException(path, $"must be a whole number from {min} to {max}");

    private static bool Bool(JsonElement value, string path) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw new BusConfigException(path, "must be true or false");
}

/// <summary>An entry of the broker's config that cannot be used; the message names it.</summary>
public sealed class BusConfigException(string entry, string problem) : Exception($"Service Bus config: {entry} {problem}")
{
    public string Entry { get; } = entry;
}
