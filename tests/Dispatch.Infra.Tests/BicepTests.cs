using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Dispatch.Core.Policy;
using Dispatch.Testing;

namespace Dispatch.Infra.Tests;

/// <summary>infra/main.bicep compiled and linted by the real Bicep CLI, and its ARM JSON checked.</summary>
public sealed class BicepTests
{
    private static readonly Lazy<JsonObject> Template = new(() => JsonNode.Parse(Bicep("build", "main.bicep", "--stdout").Output)!.AsObject());

    private static string Infra => Path.Combine(RepoRoot.Path, "infra");

    [Fact]
    public void Main_bicep_compiles_and_lints_with_no_warnings()
    {
        var build = Bicep("build", "main.bicep", "--stdout");
        var lint = Bicep("lint", "main.bicep");
        var parameters = Bicep("build-params", "main.bicepparam", "--stdout");

        Assert.Equal("", build.Errors);
        Assert.Equal("", lint.Errors + lint.Output);
        Assert.Equal("", parameters.Errors);
    }

    [Fact]
    public void Service_bus_entities_come_from_the_same_config_the_local_broker_reads()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "servicebus", "config.json")))!;
        var variables = Template.Value["variables"]!;
        var embedded = variables["serviceBusConfig"]!;
        if (embedded.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            // Bicep inlines loadJsonContent as a variable of its own: "[variables('$fxv#0')]".
            var name = System.Text.RegularExpressions.Regex.Match(embedded.GetValue<string>(), @"variables\('([^']+)'\)").Groups[1].Value;
            embedded = variables[name]!;
        }

        Assert.True(JsonNode.DeepEquals(config, embedded), "main.bicep must load infra/servicebus/config.json");
        var topic = config["UserConfig"]!["Namespaces"]![0]!["Topics"]!.AsArray().Single(t => t!["Name"]!.GetValue<string>() == "escalations")!;
        Assert.True(topic["Properties"]!["RequiresDuplicateDetection"]!.GetValue<bool>());
        Assert.True(System.Xml.XmlConvert.ToTimeSpan(topic["Properties"]!["DuplicateDetectionHistoryTimeWindow"]!.GetValue<string>()) >= TimeSpan.FromMinutes(10));
        var audiences = topic["Subscriptions"]!.AsArray().Select(s => (
            s!["Name"]!.GetValue<string>(),
            s["Rules"]![0]!["Properties"]!["CorrelationFilter"]!["Properties"]!["audience"]!.GetValue<string>()));
        Assert.Equal([("duty-officer", "duty-officer"), ("chief", "chief"), ("command-center", "command-center")], audiences);
    }

    [Fact]
    public void Topics_get_their_correlation_rules_and_the_match_all_default_rule_is_disabled()
    {
        var topicTemplate = NestedTemplate("topic-");
        var resources = Resources(topicTemplate);

        var rules = resources.Where(r => r["type"]!.GetValue<string>() == "Microsoft.ServiceBus/namespaces/topics/subscriptions/rules").ToList();
        Assert.Contains(rules, r => r["properties"]!["filterType"]!.GetValue<string>() == "CorrelationFilter");
        Assert.Contains(rules, r => r["properties"]!["sqlFilter"]?["sqlExpression"]?.GetValue<string>() == "1=0" && r["name"]!.ToString().Contains("$Default", StringComparison.Ordinal));
        var topicResource = resources.Single(r => r["type"]!.GetValue<string>() == "Microsoft.ServiceBus/namespaces/topics");
        Assert.Contains("RequiresDuplicateDetection", topicResource["properties"]!["requiresDuplicateDetection"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Roles_are_least_privilege_built_ins_with_deterministic_names()
    {
        var roles = Resources(NestedTemplate("roles")).Where(r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments").ToList();

        var definitions = roles.Select(r => r["properties"]!["roleDefinitionId"]!.ToString()).ToList();
        Assert.Contains(definitions, d => d.Contains("storageTableDataContributor", StringComparison.Ordinal));
        Assert.Contains(definitions, d => d.Contains("serviceBusDataSender", StringComparison.Ordinal));
        Assert.Contains(definitions, d => d.Contains("serviceBusDataReceiver", StringComparison.Ordinal));
        Assert.DoesNotContain(definitions, d => d.Contains("Owner", StringComparison.Ordinal) && !d.Contains("BlobDataOwner", StringComparison.Ordinal));
        Assert.All(roles, r => Assert.StartsWith("[guid(", r["name"]!.GetValue<string>(), StringComparison.Ordinal));
        var variables = NestedTemplate("roles")["variables"]!;
        Assert.Equal("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", variables["storageTableDataContributor"]!.GetValue<string>());
        Assert.Equal("69a216fc-b8fb-44d8-bc22-1f3c2552a78a", variables["serviceBusDataSender"]!.GetValue<string>());
        Assert.Equal("4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", variables["serviceBusDataReceiver"]!.GetValue<string>());
    }

    [Fact]
    public void Storage_refuses_shared_keys_and_old_tls()
    {
        var account = Resources(NestedTemplate("storage")).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Storage/storageAccounts");

        Assert.False(account["properties"]!["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", account["properties"]!["minimumTlsVersion"]!.GetValue<string>());
    }

    [Fact]
    public void The_function_app_is_flex_consumption_dotnet_isolated_with_every_setting_the_app_reads()
    {
        var template = NestedTemplate("functionapp");
        var resources = Resources(template);
        var plan = resources.Single(r => r["type"]!.GetValue<string>() == "Microsoft.Web/serverfarms");
        var app = resources.Single(r => r["type"]!.GetValue<string>() == "Microsoft.Web/sites");

        Assert.Equal("FlexConsumption", plan["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", app["properties"]!["functionAppConfig"]!["runtime"]!["name"]!.GetValue<string>());
        var settings = app["properties"]!["siteConfig"]!["appSettings"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToList();
        foreach (var name in new[] { "AzureWebJobsStorage__accountName", "ServiceBus__fullyQualifiedNamespace", "DISPATCH_SWEEP_SCHEDULE", "DISPATCH_POLICY", "DISPATCH_TABLE", "DISPATCH_PUBLIC_URL" })
        {
            Assert.Contains(name, settings);
        }

        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "local.settings.sample.json")))!["Values"]!.AsObject()
            .Select(p => p.Key).Where(k => k.StartsWith("DISPATCH_", StringComparison.Ordinal));
        Assert.All(sample.Where(k => k != "DISPATCH_POLICY_FILE"), k => Assert.Contains(k, settings));
    }

    [Fact]
    public void The_parameter_file_carries_a_policy_the_app_accepts()
    {
        var parameters = JsonNode.Parse(Bicep("build-params", "main.bicepparam", "--stdout").Output)!["parametersJson"]!.GetValue<string>();
        var policy = JsonNode.Parse(parameters)!["parameters"]!["policyJson"]!["value"]!.GetValue<string>();

        var parsed = PolicyParser.Parse(policy);

        Assert.Equal(ResponsePolicy.Default.Escalation, parsed.Escalation);
    }

    private static JsonObject NestedTemplate(string deploymentPrefix)
    {
        foreach (var deployment in Resources(Template.Value).Where(r => r["type"]!.GetValue<string>() == "Microsoft.Resources/deployments"))
        {
            var template = deployment["properties"]!["template"]!.AsObject();
            if (deployment["name"]!.ToString().Contains(deploymentPrefix, StringComparison.Ordinal))
            {
                return template;
            }

            foreach (var inner in Resources(template).Where(r => r["type"]!.GetValue<string>() == "Microsoft.Resources/deployments"))
            {
                if (inner["name"]!.ToString().Contains(deploymentPrefix, StringComparison.Ordinal))
                {
                    return inner["properties"]!["template"]!.AsObject();
                }
            }
        }

        throw new InvalidOperationException($"no module deployment named like '{deploymentPrefix}'");
    }

    /// <summary>Resources of a template whether Bicep emitted them as an array or (language version 2) as a map.</summary>
    private static List<JsonNode> Resources(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.Select(r => r!).ToList(),
        JsonObject map => map.Select(p => p.Value!).ToList(),
        _ => [],
    };

    private static (string Output, string Errors) Bicep(params string[] args)
    {
        var bicep = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute);
        }

        using var process = Process.Start(new ProcessStartInfo(bicep, args)
        {
            WorkingDirectory = Infra,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"bicep {string.Join(' ', args)} failed: {errors}");
        return (output.Result, errors.Trim());
    }
}
