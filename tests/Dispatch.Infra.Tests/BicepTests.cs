using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using Dispatch.Infra.Tests.Arm;
using Dispatch.Testing;

namespace Dispatch.Infra.Tests;

/// <summary>
/// infra/main.bicep compiled and linted by the real Bicep CLI, then evaluated for the parameter file's values
/// (and variations) the way Resource Manager evaluates a template before it deploys, so every check reads a
/// value as it would be deployed, not the expression text that produces it.
/// </summary>
public sealed class BicepTests
{
    private const string ChiefObjectId = "11111111-2222-3333-4444-555555555555";

    private static readonly Lazy<JsonObject> Template = new(() => JsonNode.Parse(Bicep("build", "main.bicep", "--stdout").Output)!.AsObject());

    private static readonly Lazy<Dictionary<string, JsonNode?>> FileParameters = new(() =>
    {
        var json = JsonNode.Parse(Bicep("build-params", "main.bicepparam", "--stdout").Output)!["parametersJson"]!.GetValue<string>();
        return JsonNode.Parse(json)!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["value"]?.DeepClone());
    });

    private static readonly Lazy<ArmDeployment> Deployed = new(() => Deploy());

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
    public void Every_role_id_is_the_built_in_role_its_assignment_names_in_the_reference_table()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "roles.json")))!["roles"]!.AsArray()
            .ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!["id"]!.GetValue<string>());
        var assignments = Deploy(chiefPrincipalId: ChiefObjectId).OfType("Microsoft.Authorization/roleAssignments").Where(r => r.Deployed).ToList();

        Assert.NotEmpty(assignments);
        foreach (var assignment in assignments)
        {
            var description = assignment.Properties!["description"]!.GetValue<string>();
            var intended = description[..description.IndexOf(':', StringComparison.Ordinal)];
            Assert.True(reference.TryGetValue(intended, out var id), $"'{intended}' is not in infra/roles.json");
            Assert.Equal(
                $"/subscriptions/{ArmTarget.Sample.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{id}",
                assignment.Properties["roleDefinitionId"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Each_grant_has_the_narrowest_scope_and_the_right_principal()
    {
        var deployed = Deploy(chiefPrincipalId: ChiefObjectId);
        var app = deployed.Resources.Single(r => r.Type == "Microsoft.ManagedIdentity/userAssignedIdentities").Id;
        var grants = deployed.OfType("Microsoft.Authorization/roleAssignments").Where(r => r.Deployed)
            .Select(r => (Role: Role(r), Scope: Relative(r.Scope!), Principal: r.Properties!["principalId"]!.GetValue<string>(), Type: r.Properties["principalType"]!.GetValue<string>()))
            .OrderBy(g => g.Role).ThenBy(g => g.Scope).ToList();

        var storage = deployed.Resources.Single(r => r.Type == "Microsoft.Storage/storageAccounts" && r.Deployed).Name;
        var bus = deployed.Resources.Single(r => r.Type == "Microsoft.ServiceBus/namespaces" && r.Deployed).Name;
        var insights = deployed.Resources.Single(r => r.Type == "Microsoft.Insights/components" && r.Deployed).Name;
        (string, string, string, string)[] expected =
        [
            ("Azure Service Bus Data Receiver", $"Microsoft.ServiceBus/namespaces/{bus}/topics/escalations/subscriptions/chief", ChiefObjectId, "User"),
            ("Azure Service Bus Data Receiver", $"Microsoft.ServiceBus/namespaces/{bus}/topics/escalations/subscriptions/chief-beilin-01", ChiefObjectId, "User"),
            ("Azure Service Bus Data Receiver", $"Microsoft.ServiceBus/namespaces/{bus}/topics/escalations/subscriptions/chief-yanta-02", ChiefObjectId, "User"),
            ("Azure Service Bus Data Sender", $"Microsoft.ServiceBus/namespaces/{bus}/topics/escalations", $"<{app}.principalId>", "ServicePrincipal"),
            ("Monitoring Metrics Publisher", $"Microsoft.Insights/components/{insights}", $"<{app}.principalId>", "ServicePrincipal"),
            ("Storage Blob Data Owner", $"Microsoft.Storage/storageAccounts/{storage}", $"<{app}.principalId>", "ServicePrincipal"),
            ("Storage Table Data Contributor", $"Microsoft.Storage/storageAccounts/{storage}/tableServices/default/tables/incidents", $"<{app}.principalId>", "ServicePrincipal"),
            ("Storage Table Data Contributor", $"Microsoft.Storage/storageAccounts/{storage}/tableServices/default/tables/incidentsdue", $"<{app}.principalId>", "ServicePrincipal"),
        ];
        Assert.Equal(expected, grants);

        // Without a chief, no receiver at all.
        Assert.DoesNotContain(Deployed.Value.OfType("Microsoft.Authorization/roleAssignments").Where(r => r.Deployed), r => Role(r) == "Azure Service Bus Data Receiver");
    }

    [Fact]
    public void Service_bus_and_application_insights_refuse_local_keys()
    {
        var deployed = Deployed.Value;

        Assert.True(deployed.OfType("Microsoft.ServiceBus/namespaces").Single(r => r.Deployed).Properties!["disableLocalAuth"]!.GetValue<bool>());
        Assert.True(deployed.OfType("Microsoft.Insights/components").Single(r => r.Deployed).Properties!["DisableLocalAuth"]!.GetValue<bool>());
        var account = deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Properties!;
        Assert.False(account["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", account["minimumTlsVersion"]!.GetValue<string>());
    }

    [Fact]
    public void The_topic_keeps_the_configs_duplicate_detection_window_and_a_missing_window_fails_instead_of_falling_back()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "servicebus", "config.json")))!;
        var configured = config["UserConfig"]!["Namespaces"]![0]!["Topics"]![0]!["Properties"]!["DuplicateDetectionHistoryTimeWindow"]!.GetValue<string>();
        var topic = Deployed.Value.OfType("Microsoft.ServiceBus/namespaces/topics").Single(r => r.Deployed);

        Assert.Equal("PT10M", configured);
        Assert.True(topic.Properties!["requiresDuplicateDetection"]!.GetValue<bool>());
        Assert.Equal(configured, topic.Properties["duplicateDetectionHistoryTimeWindow"]!.GetValue<string>());

        var withoutWindow = Template.Value.DeepClone().AsObject();
        withoutWindow["variables"]!["$fxv#0"]!["UserConfig"]!["Namespaces"]![0]!["Topics"]![0]!["Properties"]!.AsObject().Remove("DuplicateDetectionHistoryTimeWindow");
        var error = Assert.Throws<KeyNotFoundException>(() => ArmDeployment.Evaluate(withoutWindow, FileParameters.Value, ArmTarget.Sample));
        Assert.Contains("DuplicateDetectionHistoryTimeWindow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Subscriptions_default_rules_and_correlation_rules_are_written_one_at_a_time_in_that_order()
    {
        var deployed = Deployed.Value;
        var subscriptions = deployed.OfType("Microsoft.ServiceBus/namespaces/topics/subscriptions").Where(r => r.Deployed).ToList();
        var rules = deployed.OfType("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules").Where(r => r.Deployed).ToList();
        var defaults = rules.Where(r => r.Name.EndsWith("/$Default", StringComparison.Ordinal)).ToList();
        var correlation = rules.Except(defaults).ToList();

        Assert.Equal(["duty-officer", "chief", "command-center", "chief-beilin-01", "chief-yanta-02"], subscriptions.Select(s => s.Name.Split('/')[^1]));
        foreach (var loop in new[] { subscriptions, defaults, correlation })
        {
            Assert.All(loop, r => Assert.Equal(("serial", 1L), (r.Copy!["mode"]!.GetValue<string>(), r.Copy["batchSize"]!.GetValue<long>())));
        }

        Assert.All(defaults, r => Assert.Equal([subscriptions[0].Copy!["name"]!.GetValue<string>()], r.DependsOn));
        Assert.All(correlation, r => Assert.Equal([defaults[0].Copy!["name"]!.GetValue<string>()], r.DependsOn));
        Assert.All(defaults, r => Assert.Equal("1=0", r.Properties!["sqlFilter"]!["sqlExpression"]!.GetValue<string>()));
        Assert.Equal(subscriptions.Select(s => s.Name + "/$Default"), defaults.Select(d => d.Name));
        var chiefOfBeilin = correlation.Single(r => r.Name.EndsWith("/chief-beilin-01/audience-and-station", StringComparison.Ordinal));
        Assert.Equal("""{"audience":"chief","station":"beilin-01"}""", chiefOfBeilin.Properties!["correlationFilter"]!["properties"]!.ToJsonString());
        Assert.All(deployed.Resources.Where(r => r.Type.StartsWith("Microsoft.ServiceBus", StringComparison.Ordinal) && r.Deployed),
            r => Assert.Equal("2024-01-01", r.Evaluated["apiVersion"]!.GetValue<string>()));
    }

    [Fact]
    public void The_function_app_gets_its_settings_from_its_own_host_name_and_identity_and_none_flex_refuses()
    {
        var deployed = Deployed.Value;
        var site = deployed.OfType("Microsoft.Web/sites").Single();
        var settings = deployed.OfType("Microsoft.Web/sites/config").Single(r => r.Name.EndsWith("/appsettings", StringComparison.Ordinal)).Properties!.AsObject();
        var identity = deployed.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Single().Id;
        var storage = deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Id;

        Assert.Equal("FlexConsumption", deployed.OfType("Microsoft.Web/serverfarms").Single().Evaluated["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", site.Properties!["functionAppConfig"]!["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal($"https://<{site.Id}.defaultHostName>", settings["DISPATCH_PUBLIC_URL"]!.GetValue<string>());
        Assert.Equal($"<{storage}.primaryEndpoints.table>", settings["DISPATCH_TABLE_SERVICE_URI"]!.GetValue<string>());
        Assert.Equal("incidents", settings["DISPATCH_TABLE"]!.GetValue<string>());
        Assert.Equal($"ClientId=<{identity}.clientId>;Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.GetValue<string>());
        Assert.Equal($"<{identity}.clientId>", settings["AZURE_CLIENT_ID"]!.GetValue<string>());
        Assert.Null(site.Properties["siteConfig"]!["appSettings"]);

        string[] refusedByFlex = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "WEBSITE_NODE_DEFAULT_VERSION"];
        Assert.DoesNotContain(settings.Select(s => s.Key), k => refusedByFlex.Contains(k) || k.StartsWith("WEBSITE_CONTENT", StringComparison.Ordinal));
        Assert.DoesNotContain("ServiceBus__credential", settings.Select(s => s.Key));
        Assert.DoesNotContain("ServiceBus__clientId", settings.Select(s => s.Key));
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Select(s => s.Key));

        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "local.settings.sample.json")))!["Values"]!.AsObject()
            .Select(p => p.Key).Where(k => k.StartsWith("DISPATCH_", StringComparison.Ordinal) && k is not ("DISPATCH_POLICY_FILE" or "DISPATCH_AUTH_LOCAL_KEY_FILE"));
        Assert.All(sample, k => Assert.Contains(k, settings.Select(s => s.Key)));
    }

    [Fact]
    public void The_app_waits_for_its_role_assignments()
    {
        var app = Deployed.Value.OfType("Microsoft.Resources/deployments").Single(r => r.Name == "functionapp");

        Assert.Contains("roles", app.DependsOn);
    }

    [Theory]
    [InlineData("dispatch", false)]
    [InlineData("dsp2", false)]
    [InlineData("Dispatch", true)]
    [InlineData("disp-atch", true)]
    [InlineData("2dispatch", true)]
    public void A_name_prefix_with_characters_azure_refuses_fails_preflight_with_a_message(string prefix, bool refused)
    {
        var guard = Deploy(namePrefix: prefix).OfType("Microsoft.Resources/deployments").Single(r => r.Symbol == "invalidNamePrefix");

        Assert.Equal(refused, guard.Deployed);
        Assert.StartsWith("namePrefix must be lower-case letters and digits", guard.Name, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("beilin-01", false)]
    [InlineData("Beilin", true)]
    [InlineData("-beilin", true)]
    [InlineData("bei lin", true)]
    public void A_station_code_the_api_would_refuse_fails_preflight_naming_it(string station, bool refused)
    {
        var guard = Deploy(stations: [station, "yanta-02"]).OfType("Microsoft.Resources/deployments").Single(r => r.Symbol == "invalidStations");

        Assert.Equal(refused, guard.Deployed);
        if (refused)
        {
            Assert.EndsWith(station, guard.Name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_parameter_file_with_an_over_long_prefix_or_station_fails_at_build_params_at_its_line()
    {
        var file = Path.Combine(Infra, $"test-{Guid.NewGuid():N}.bicepparam");
        try
        {
            File.WriteAllText(file, """
                using 'main.bicep'
                param namePrefix = 'dispatchesall'
                param stations = ['a-station-code-that-is-far-too-long-for-the-api']
                param policyJson = '{}'
                """);
            var result = Bicep(expectSuccess: false, "build-params", Path.GetFileName(file), "--stdout");

            // Bicep points at the line of each parameter (2: namePrefix, 3: stations) with the limit it breaks.
            Assert.Contains("(2,20) : Error BCP332", result.Errors, StringComparison.Ordinal);
            Assert.Contains("maximum allowable length is 11", result.Errors, StringComparison.Ordinal);
            Assert.Contains("(3,19) : Error BCP332", result.Errors, StringComparison.Ordinal);
            Assert.Contains("maximum allowable length is 32", result.Errors, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Service_bus_entities_come_from_the_same_config_the_local_broker_reads()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "servicebus", "config.json")))!;
        var embedded = Template.Value["variables"]!["$fxv#0"]!;

        Assert.True(JsonNode.DeepEquals(config, embedded), "main.bicep must load infra/servicebus/config.json");
        var audiences = Deployed.Value.OfType("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules").Where(r => r.Name.EndsWith("/audience", StringComparison.Ordinal))
            .Select(r => (r.Name.Split('/')[2], r.Properties!["correlationFilter"]!["properties"]!["audience"]!.GetValue<string>()));
        Assert.Equal([("duty-officer", "duty-officer"), ("chief", "chief"), ("command-center", "command-center")], audiences);
    }

    [Fact]
    public void The_parameter_file_carries_a_policy_the_app_accepts()
    {
        var policy = FileParameters.Value["policyJson"]!.GetValue<string>();

        var parsed = PolicyParser.Parse(policy);

        Assert.Equal(ResponsePolicy.Default.Escalation, parsed.Escalation);
    }

    [Fact]
    public void The_app_accepts_only_entra_tokens_of_this_tenant_for_the_apis_audience()
    {
        var settings = Deployed.Value.OfType("Microsoft.Web/sites/config").Single(r => r.Name.EndsWith("/appsettings", StringComparison.Ordinal)).Properties!.AsObject();

        Assert.Equal($"https://login.microsoftonline.com/{ArmTarget.Sample.TenantId}/v2.0", settings["DISPATCH_AUTH_AUTHORITY"]!.GetValue<string>());
        Assert.Equal("api://dispatch-api", settings["DISPATCH_AUTH_AUDIENCE"]!.GetValue<string>());
        Assert.DoesNotContain("DISPATCH_AUTH_LOCAL_KEY_FILE", settings.Select(s => s.Key));
        Assert.DoesNotContain("AZURE_FUNCTIONS_ENVIRONMENT", settings.Select(s => s.Key));
    }

    [Fact]
    public void The_app_roles_to_register_are_the_global_roles_the_api_reads()
    {
        var roles = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "app-roles.json")))!.AsArray();

        string[] MemberTypes(JsonNode? role) => [.. role!["allowedMemberTypes"]!.AsArray().Select(t => t!.GetValue<string>())];
        var forPeople = roles.Where(r => MemberTypes(r).SequenceEqual(["User"])).Select(r => r!["value"]!.GetValue<string>());
        var forApplications = roles.Where(r => MemberTypes(r).SequenceEqual(["Application"])).Select(r => r!["value"]!.GetValue<string>());

        Assert.Equal(RoleNames.GlobalRoles.Order(), forPeople.Order());
        Assert.Equal([Dispatch.Functions.Identity.TokenValidator.ApplicationRole], forApplications);
        Assert.All(roles, r =>
        {
            Assert.True(Guid.TryParse(r!["id"]!.GetValue<string>(), out _));
            Assert.True(r["isEnabled"]!.GetValue<bool>());
        });
        Assert.Equal(roles.Count, roles.Select(r => r!["id"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public void Alerts_watch_the_sweep_the_outbox_dead_letters_unread_escalations_and_server_errors_and_reach_the_operators()
    {
        var deployed = Deploy(alertEmails: ["duty@example.gov"]);
        var insights = deployed.OfType("Microsoft.Insights/components").Single(r => r.Deployed).Id;
        var bus = deployed.OfType("Microsoft.ServiceBus/namespaces").Single(r => r.Deployed).Id;
        var group = deployed.OfType("Microsoft.Insights/actionGroups").Single();

        var logs = deployed.OfType("Microsoft.Insights/scheduledQueryRules").ToDictionary(r => r.Name.Split('-', 2)[1], r => r.Properties!);
        var metrics = deployed.OfType("Microsoft.Insights/metricAlerts").ToDictionary(r => r.Name.Split('-', 2)[1], r => r.Properties!);

        Assert.Equal("duty@example.gov", group.Properties!["emailReceivers"]![0]!["emailAddress"]!.GetValue<string>());
        Assert.Equal(["outbox-oldest", "sweep-heartbeat"], logs.Keys.Order());
        Assert.All(logs.Values, p => Assert.Equal(insights, p["scopes"]![0]!.GetValue<string>()));
        Assert.Contains("\"dispatch.sweep.runs\"", logs["sweep-heartbeat"]["criteria"]!["allOf"]![0]!["query"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("\"dispatch.outbox.oldest_age\"", logs["outbox-oldest"]["criteria"]!["allOf"]![0]!["query"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(60L, logs["outbox-oldest"]["criteria"]!["allOf"]![0]!["threshold"]!.GetValue<long>());
        Assert.Equal(["dead-letters", "http-5xx", "unread-escalations"], metrics.Keys.Order());
        Assert.Equal((bus, "DeadletteredMessages"), (metrics["dead-letters"]["scopes"]![0]!.GetValue<string>(), metrics["dead-letters"]["criteria"]!["allOf"]![0]!["metricName"]!.GetValue<string>()));
        Assert.Equal((bus, "ActiveMessages", "PT10M"), (metrics["unread-escalations"]["scopes"]![0]!.GetValue<string>(),
            metrics["unread-escalations"]["criteria"]!["allOf"]![0]!["metricName"]!.GetValue<string>(), metrics["unread-escalations"]["windowSize"]!.GetValue<string>()));
        Assert.Equal("escalations", metrics["dead-letters"]["criteria"]!["allOf"]![0]!["dimensions"]![0]!["values"]![0]!.GetValue<string>());
        Assert.Equal((insights, "requests/failed"), (metrics["http-5xx"]["scopes"]![0]!.GetValue<string>(), metrics["http-5xx"]["criteria"]!["allOf"]![0]!["metricName"]!.GetValue<string>()));
        Assert.All(logs.Values.Concat(metrics.Values), p => Assert.Contains(group.Id, p.ToJsonString(), StringComparison.Ordinal));
    }

    private static ArmDeployment Deploy(string? namePrefix = null, string? chiefPrincipalId = null, string[]? stations = null, string[]? alertEmails = null)
    {
        var parameters = FileParameters.Value.ToDictionary(p => p.Key, p => p.Value?.DeepClone());
        if (alertEmails is not null)
        {
            parameters["alertEmails"] = new JsonArray(alertEmails.Select(e => (JsonNode)e).ToArray());
        }

        if (namePrefix is not null)
        {
            parameters["namePrefix"] = namePrefix;
        }

        if (chiefPrincipalId is not null)
        {
            parameters["chiefPrincipalId"] = chiefPrincipalId;
        }

        if (stations is not null)
        {
            parameters["stations"] = new JsonArray(stations.Select(s => (JsonNode)s).ToArray());
        }

        return ArmDeployment.Evaluate(Template.Value, parameters, ArmTarget.Sample);
    }

    private static string Role(ArmResource assignment)
    {
        var description = assignment.Properties!["description"]!.GetValue<string>();
        return description[..description.IndexOf(':', StringComparison.Ordinal)];
    }

    /// <summary>A scope as a path below the resource group, whichever form the template gave it in.</summary>
    private static string Relative(string scope)
    {
        var providers = scope.IndexOf("/providers/", StringComparison.Ordinal);
        return providers < 0 ? scope : scope[(providers + "/providers/".Length)..];
    }

    private static (string Output, string Errors) Bicep(params string[] args) => Bicep(expectSuccess: true, args);

    private static (string Output, string Errors) Bicep(bool expectSuccess, params string[] args)
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
        if (expectSuccess)
        {
            Assert.True(process.ExitCode == 0, $"bicep {string.Join(' ', args)} failed: {errors}");
        }
        else
        {
            Assert.True(process.ExitCode != 0, $"bicep {string.Join(' ', args)} succeeded but should not have");
        }

        return (output.Result, errors.Trim());
    }
}
