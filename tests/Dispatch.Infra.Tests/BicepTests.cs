using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using Dispatch.Core.Identity;
using Dispatch.Core.Policy;
using Dispatch.Infra.Tests.Arm;
using NCrontab;

namespace Dispatch.Infra.Tests;

/// <summary>
/// infra/main.bicep compiled and linted by the real Bicep CLI, then evaluated for the parameter file's values
/// (and variations) the way Resource Manager evaluates a template before it deploys, so every check reads a
/// value as it would be deployed, not the expression text that produces it. What Azure allows in each property
/// is checked in <see cref="AllowedValuesTests"/>; these tests check what the deployment means.
/// </summary>
public sealed class BicepTests
{
    private const string BeilinChief = "11111111-2222-3333-4444-555555555555";
    private const string YantaChief = "66666666-7777-8888-9999-aaaaaaaaaaaa";
    private const string DistrictCommander = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff";

    private static readonly Lazy<ArmDeployment> Deployed = new(() => InfraTemplate.Deploy());

    private static string Infra => InfraTemplate.Infra;

    [Fact]
    public void Main_bicep_compiles_and_lints_with_no_warnings()
    {
        var build = InfraTemplate.Bicep("build", "main.bicep", "--stdout");
        var lint = InfraTemplate.Bicep("lint", "main.bicep");
        var parameters = InfraTemplate.Bicep("build-params", "main.bicepparam", "--stdout");

        Assert.Equal("", build.Errors);
        Assert.Equal("", lint.Errors + lint.Output);
        Assert.Equal("", parameters.Errors);
    }

    [Fact]
    public void Every_role_id_is_the_built_in_role_its_assignment_names_in_the_reference_table()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "roles.json")))!["roles"]!.AsArray()
            .ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!["id"]!.GetValue<string>());
        var assignments = WithChiefs().OfType("Microsoft.Authorization/roleAssignments").Where(r => r.Deployed).ToList();

        Assert.NotEmpty(assignments);
        foreach (var assignment in assignments)
        {
            var intended = Role(assignment);
            Assert.True(reference.TryGetValue(intended, out var id), $"'{intended}' is not in infra/roles.json");
            Assert.Equal(
                $"/subscriptions/{ArmTarget.Sample.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{id}",
                assignment.Properties!["roleDefinitionId"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Each_grant_has_the_narrowest_scope_and_each_stations_chief_reads_only_that_stations_subscription()
    {
        var deployed = WithChiefs();
        var app = deployed.Resources.Single(r => r.Type == "Microsoft.ManagedIdentity/userAssignedIdentities").Id;
        var grants = deployed.OfType("Microsoft.Authorization/roleAssignments").Where(r => r.Deployed)
            .Select(r => (Role: Role(r), Scope: Relative(r.Scope!), Principal: r.Properties!["principalId"]!.GetValue<string>(), Type: r.Properties["principalType"]!.GetValue<string>()))
            .OrderBy(g => g.Role).ThenBy(g => g.Scope).ToList();

        var storage = deployed.Resources.Single(r => r.Type == "Microsoft.Storage/storageAccounts" && r.Deployed).Name;
        var bus = deployed.Resources.Single(r => r.Type == "Microsoft.ServiceBus/namespaces" && r.Deployed).Name;
        var insights = deployed.Resources.Single(r => r.Type == "Microsoft.Insights/components" && r.Deployed).Name;
        var subscriptions = $"Microsoft.ServiceBus/namespaces/{bus}/topics/escalations/subscriptions";
        (string, string, string, string)[] expected =
        [
            ("Azure Service Bus Data Receiver", $"{subscriptions}/chief", DistrictCommander, "User"),
            ("Azure Service Bus Data Receiver", $"{subscriptions}/chief-beilin-01", BeilinChief, "User"),
            ("Azure Service Bus Data Receiver", $"{subscriptions}/chief-yanta-02", YantaChief, "User"),
            ("Azure Service Bus Data Sender", $"Microsoft.ServiceBus/namespaces/{bus}/topics/escalations", $"<{app}.principalId>", "ServicePrincipal"),
            ("Monitoring Metrics Publisher", $"Microsoft.Insights/components/{insights}", $"<{app}.principalId>", "ServicePrincipal"),
            ("Storage Blob Data Owner", $"Microsoft.Storage/storageAccounts/{storage}", $"<{app}.principalId>", "ServicePrincipal"),
            ("Storage Table Data Contributor", $"Microsoft.Storage/storageAccounts/{storage}/tableServices/default/tables/incidents", $"<{app}.principalId>", "ServicePrincipal"),
            ("Storage Table Data Contributor", $"Microsoft.Storage/storageAccounts/{storage}/tableServices/default/tables/incidentsdue", $"<{app}.principalId>", "ServicePrincipal"),
        ];
        Assert.Equal(expected, grants);

        // A station without chiefs grants nothing; the parameter file names none yet.
        Assert.DoesNotContain(Deployed.Value.OfType("Microsoft.Authorization/roleAssignments").Where(r => r.Deployed), r => Role(r) == "Azure Service Bus Data Receiver");
    }

    [Theory]
    [InlineData("not-a-guid-at-all-but-36-characters", true)]
    [InlineData(BeilinChief, false)]
    public void A_chief_object_id_that_is_not_a_guid_fails_preflight_naming_it(string objectId, bool refused)
    {
        var guard = InfraTemplate.Deploy(new() { ["allStationsChiefPrincipalIds"] = new JsonArray(objectId) })
            .OfType("Microsoft.Resources/deployments").Single(r => r.Symbol == "invalidPrincipalIds");

        Assert.Equal(refused, guard.Deployed);
        if (refused)
        {
            Assert.EndsWith(objectId, guard.Name, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Service_bus_and_application_insights_refuse_local_keys()
    {
        var deployed = Deployed.Value;

        Assert.True(deployed.OfType("Microsoft.ServiceBus/namespaces").Single(r => r.Deployed).Properties!["disableLocalAuth"]!.GetValue<bool>());
        Assert.True(deployed.OfType("Microsoft.Insights/components").Single(r => r.Deployed).Properties!["DisableLocalAuth"]!.GetValue<bool>());
        Assert.False(deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Properties!["allowSharedKeyAccess"]!.GetValue<bool>());
    }

    [Fact]
    public void The_topic_keeps_the_configs_duplicate_detection_window_and_a_missing_window_fails_instead_of_falling_back()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "servicebus", "config.json")))!;
        var configured = config["UserConfig"]!["Namespaces"]![0]!["Topics"]![0]!["Properties"]!["DuplicateDetectionHistoryTimeWindow"]!.GetValue<string>();
        var topic = Deployed.Value.OfType("Microsoft.ServiceBus/namespaces/topics").Single(r => r.Deployed);

        Assert.True(topic.Properties!["requiresDuplicateDetection"]!.GetValue<bool>());
        Assert.Equal(configured, topic.Properties["duplicateDetectionHistoryTimeWindow"]!.GetValue<string>());

        var withoutWindow = InfraTemplate.Template.DeepClone().AsObject();
        ServiceBusConfigVariable(withoutWindow)["UserConfig"]!["Namespaces"]![0]!["Topics"]![0]!["Properties"]!.AsObject().Remove("DuplicateDetectionHistoryTimeWindow");
        var error = Assert.Throws<KeyNotFoundException>(() => ArmDeployment.Evaluate(withoutWindow, InfraTemplate.FileParameters(), ArmTarget.Sample));
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
        var settings = AppSettings(deployed);
        var identity = deployed.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Single().Id;
        var storage = deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Id;

        Assert.Equal($"https://<{site.Id}.defaultHostName>", settings["DISPATCH_PUBLIC_URL"]!.GetValue<string>());
        Assert.Equal($"<{storage}.primaryEndpoints.table>", settings["DISPATCH_TABLE_SERVICE_URI"]!.GetValue<string>());
        Assert.Equal("incidents", settings["DISPATCH_TABLE"]!.GetValue<string>());
        Assert.Equal($"ClientId=<{identity}.clientId>;Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.GetValue<string>());
        Assert.Equal($"<{identity}.clientId>", settings["AZURE_CLIENT_ID"]!.GetValue<string>());
        Assert.Equal([$"{identity}"], site.Evaluated["identity"]!["userAssignedIdentities"]!.AsObject().Select(p => p.Key));
        Assert.Null(site.Properties!["siteConfig"]!["appSettings"]);

        string[] refusedByFlex = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "WEBSITE_NODE_DEFAULT_VERSION"];
        Assert.DoesNotContain(settings.Select(s => s.Key), k => refusedByFlex.Contains(k) || k.StartsWith("WEBSITE_CONTENT", StringComparison.Ordinal));
        Assert.DoesNotContain("ServiceBus__credential", settings.Select(s => s.Key));
        Assert.DoesNotContain("ServiceBus__clientId", settings.Select(s => s.Key));
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Select(s => s.Key));

        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Dispatch.Testing.RepoRoot.Path, "local.settings.sample.json")))!["Values"]!.AsObject()
            .Select(p => p.Key).Where(k => k.StartsWith("DISPATCH_", StringComparison.Ordinal) && k is not ("DISPATCH_POLICY_FILE" or "DISPATCH_AUTH_LOCAL_KEY_FILE"));
        Assert.All(sample, k => Assert.Contains(k, settings.Select(s => s.Key)));
    }

    [Fact]
    public void The_sweep_runs_at_least_every_second_so_a_deadline_reaches_the_chief_within_about_a_second()
    {
        // The promise (README, "Performance"): deadline to chief within the sweep interval plus a second, measured
        // at p99 1.08 s with a one-second sweep. So the deployed schedule may leave at most a second between runs.
        var schedule = CrontabSchedule.Parse(AppSettings(Deployed.Value)["DISPATCH_SWEEP_SCHEDULE"]!.GetValue<string>(), new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        var start = new DateTime(2026, 11, 28, 0, 0, 0, DateTimeKind.Utc);

        var runs = schedule.GetNextOccurrences(start, start.AddMinutes(2)).ToList();
        var longestGap = runs.Zip(runs.Skip(1), (a, b) => b - a).Max();

        Assert.True(longestGap <= TimeSpan.FromSeconds(1), $"the sweep leaves {longestGap} between runs");
    }

    [Theory]
    [InlineData("PT30M", 90)]
    [InlineData("P1D", 86400)]
    public void The_health_limits_and_the_alerts_come_from_the_same_parameter(string unreadWindow, int outboxSeconds)
    {
        var deployed = InfraTemplate.Deploy(new() { ["unreadAlertWindow"] = unreadWindow, ["outboxAlertSeconds"] = outboxSeconds });
        var settings = AppSettings(deployed);
        var unread = deployed.OfType("Microsoft.Insights/metricAlerts").Single(r => r.Name.EndsWith("-unread-escalations", StringComparison.Ordinal)).Properties!;
        var outbox = deployed.OfType("Microsoft.Insights/scheduledQueryRules").Single(r => r.Name.EndsWith("-outbox-oldest", StringComparison.Ordinal)).Properties!;

        Assert.Equal(XmlConvert.ToTimeSpan(unreadWindow), XmlConvert.ToTimeSpan(settings["DISPATCH_HEALTH_UNREAD_MAX_AGE"]!.GetValue<string>()));
        Assert.Equal(XmlConvert.ToTimeSpan(unreadWindow), XmlConvert.ToTimeSpan(unread["windowSize"]!.GetValue<string>()));
        Assert.Equal(TimeSpan.FromSeconds(outboxSeconds), XmlConvert.ToTimeSpan(settings["DISPATCH_HEALTH_OUTBOX_MAX_AGE"]!.GetValue<string>()));
        Assert.Equal(outboxSeconds, outbox["criteria"]!["allOf"]![0]!["threshold"]!.GetValue<long>());
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
        var guard = InfraTemplate.Deploy(new() { ["namePrefix"] = prefix }).OfType("Microsoft.Resources/deployments").Single(r => r.Symbol == "invalidNamePrefix");

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
        var guard = InfraTemplate.Deploy(new() { ["stations"] = Stations((station, []), ("yanta-02", [])) })
            .OfType("Microsoft.Resources/deployments").Single(r => r.Symbol == "invalidStations");

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
                param stations = [{ code: 'a-station-code-that-is-far-too-long-for-the-api', chiefPrincipalIds: [] }]
                param policyJson = '{}'
                param authAudience = 'api://dispatch-api'
                """);
            var result = InfraTemplate.Bicep(expectSuccess: false, "build-params", Path.GetFileName(file), "--stdout");

            // Bicep points at the line of each parameter (2: namePrefix, 3: the station's code) with the limit it breaks.
            Assert.Contains("(2,20) : Error BCP332", result.Errors, StringComparison.Ordinal);
            Assert.Contains("maximum allowable length is 11", result.Errors, StringComparison.Ordinal);
            Assert.Matches(@"\(3,\d+\) : Error BCP332", result.Errors);
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

        Assert.True(JsonNode.DeepEquals(config, ServiceBusConfigVariable(InfraTemplate.Template)), "main.bicep must load infra/servicebus/config.json");
        var audiences = Deployed.Value.OfType("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules").Where(r => r.Name.EndsWith("/audience", StringComparison.Ordinal))
            .Select(r => (r.Name.Split('/')[2], r.Properties!["correlationFilter"]!["properties"]!["audience"]!.GetValue<string>()));
        Assert.Equal([("duty-officer", "duty-officer"), ("chief", "chief"), ("command-center", "command-center")], audiences);
    }

    [Fact]
    public void The_parameter_file_carries_a_policy_the_app_accepts()
    {
        var policy = InfraTemplate.FileParameters()["policyJson"]!.GetValue<string>();

        var parsed = PolicyParser.Parse(policy);

        Assert.Equal(ResponsePolicy.Default.Escalation, parsed.Escalation);
    }

    [Fact]
    public void The_app_accepts_only_entra_tokens_of_this_tenant_for_the_apis_audience()
    {
        var settings = AppSettings(Deployed.Value);

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
        var deployed = InfraTemplate.Deploy(new() { ["alertEmails"] = new JsonArray("duty@example.gov") });
        var insights = deployed.OfType("Microsoft.Insights/components").Single(r => r.Deployed).Id;
        var bus = deployed.OfType("Microsoft.ServiceBus/namespaces").Single(r => r.Deployed).Id;
        var group = deployed.OfType("Microsoft.Insights/actionGroups").Single();

        var logs = deployed.OfType("Microsoft.Insights/scheduledQueryRules").ToDictionary(r => r.Name.Split('-', 2)[1], r => r.Properties!);
        var metrics = deployed.OfType("Microsoft.Insights/metricAlerts").ToDictionary(r => r.Name.Split('-', 2)[1], r => r.Properties!);

        Assert.Equal("duty@example.gov", group.Properties!["emailReceivers"]![0]!["emailAddress"]!.GetValue<string>());
        Assert.Equal(["http-5xx", "outbox-oldest", "sweep-heartbeat"], logs.Keys.Order());
        Assert.All(logs.Values, p => Assert.Equal(insights, p["scopes"]![0]!.GetValue<string>()));
        Assert.Contains("\"dispatch.sweep.runs\"", Query(logs["sweep-heartbeat"]), StringComparison.Ordinal);
        Assert.Contains("\"dispatch.outbox.oldest_age\"", Query(logs["outbox-oldest"]), StringComparison.Ordinal);
        Assert.Equal(["dead-letters", "unread-escalations"], metrics.Keys.Order());
        Assert.Equal((bus, "DeadletteredMessages"), (metrics["dead-letters"]["scopes"]![0]!.GetValue<string>(), metrics["dead-letters"]["criteria"]!["allOf"]![0]!["metricName"]!.GetValue<string>()));
        Assert.Equal((bus, "ActiveMessages"), (metrics["unread-escalations"]["scopes"]![0]!.GetValue<string>(), metrics["unread-escalations"]["criteria"]!["allOf"]![0]!["metricName"]!.GetValue<string>()));
        Assert.All(metrics.Values, p => Assert.Equal("escalations", p["criteria"]!["allOf"]![0]!["dimensions"]![0]!["values"]![0]!.GetValue<string>()));
        Assert.All(logs.Values.Concat(metrics.Values), p => Assert.Contains(group.Id, p.ToJsonString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(429, false)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(599, true)]
    public void The_server_error_alert_counts_5xx_results_and_no_callers_mistakes(int status, bool counted)
    {
        // Server errors are the 5xx class (RFC 9110, section 15.6); requests/failed, the metric, counts every code from
        // 400 up but 401. The rule must read the result code itself, over a range that holds exactly the 5xx class.
        var rule = Deployed.Value.OfType("Microsoft.Insights/scheduledQueryRules").Single(r => r.Name.EndsWith("-http-5xx", StringComparison.Ordinal)).Properties!;
        var query = Query(rule);
        var range = Regex.Match(query, @"^requests \| where toint\(resultCode\) between \((\d+) \.\. (\d+)\) \| summarize (\w+) = count\(\)$");

        Assert.True(range.Success, query);
        Assert.Equal(range.Groups[3].Value, rule["criteria"]!["allOf"]![0]!["metricMeasureColumn"]!.GetValue<string>());
        Assert.Equal(counted, status >= int.Parse(range.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) && status <= int.Parse(range.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(false, false, false, true)]
    [InlineData(true, false, false, false)]
    [InlineData(false, true, false, false)]
    [InlineData(false, false, true, false)]
    public void Alerts_that_would_reach_nobody_fail_preflight_unless_they_are_routed_elsewhere(bool email, bool sms, bool routedElsewhere, bool refused)
    {
        var deployed = InfraTemplate.Deploy(new()
        {
            ["alertEmails"] = email ? new JsonArray("duty@example.gov") : new JsonArray(),
            ["alertSmsNumbers"] = sms ? new JsonArray(new JsonObject { ["countryCode"] = "86", ["phoneNumber"] = "13800000000" }) : new JsonArray(),
            ["alertsRoutedElsewhere"] = routedElsewhere,
        });
        var guard = deployed.OfType("Microsoft.Resources/deployments").Single(r => r.Symbol == "noAlertReceivers");

        Assert.Equal(refused, guard.Deployed);
        if (refused)
        {
            Assert.StartsWith("alerts reach nobody: set alertEmails or alertSmsNumbers", guard.Name, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_storage_account_that_holds_incidents_and_the_audit_trail_cannot_be_deleted_unless_the_lock_is_skipped(bool locked)
    {
        var deployed = InfraTemplate.Deploy(new() { ["lockStorage"] = locked });
        var account = deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Id;
        var lockResource = deployed.OfType("Microsoft.Authorization/locks").Single();

        Assert.Equal(locked, lockResource.Deployed);
        Assert.Equal(Relative(account), Relative(lockResource.Scope!));
        Assert.Equal("CanNotDelete", lockResource.Properties!["level"]!.GetValue<string>());
    }

    [Fact]
    public void The_storage_lock_is_on_unless_a_deployment_skips_it()
    {
        Assert.DoesNotContain("lockStorage", InfraTemplate.FileParameters().Keys);
        Assert.True(Deployed.Value.OfType("Microsoft.Authorization/locks").Single().Deployed);
    }

    [Theory]
    [InlineData("eastasia", "")]
    [InlineData("westcentralus", "")]
    [InlineData("eastasia", "Standard_GZRS")]
    public void Storage_is_zone_redundant_where_the_region_has_zones_unless_a_redundancy_is_given(string location, string given)
    {
        // The regions come from infra/zone-regions.json, Microsoft's list of regions with availability zones.
        var zoneRegions = JsonNode.Parse(File.ReadAllText(Path.Combine(Infra, "zone-regions.json")))!["regions"]!.AsArray().Select(r => r!.GetValue<string>()).ToHashSet();
        var expected = given.Length > 0 ? given : zoneRegions.Contains(location) ? "Standard_ZRS" : "Standard_LRS";

        var deployed = InfraTemplate.Deploy(new() { ["location"] = location, ["storageSku"] = given });

        Assert.Equal(expected, deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Evaluated["sku"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Every_resource_that_takes_tags_carries_the_given_tags()
    {
        var tags = new JsonObject { ["application"] = "dispatch", ["owner"] = "xian-public-security" };

        var tracked = InfraTemplate.Deploy(new() { ["tags"] = tags }).Resources.Where(r => r.Deployed && r.Evaluated["location"] is not null).ToList();

        Assert.NotEmpty(tracked);
        Assert.All(tracked, r => Assert.True(JsonNode.DeepEquals(tags, r.Evaluated["tags"]), $"{r.Type} {r.Name} has tags {r.Evaluated["tags"]?.ToJsonString()}"));
    }

    [Fact]
    public void The_host_the_tables_and_service_bus_send_their_resource_logs_to_the_workspace()
    {
        var deployed = Deployed.Value;
        var workspace = deployed.OfType("Microsoft.OperationalInsights/workspaces").Single(r => r.Deployed).Id;
        var site = deployed.OfType("Microsoft.Web/sites").Single(r => r.Deployed).Id;
        var account = deployed.OfType("Microsoft.Storage/storageAccounts").Single(r => r.Deployed).Id;
        var bus = deployed.OfType("Microsoft.ServiceBus/namespaces").Single(r => r.Deployed).Id;

        var tables = $"{account}/tableServices/default";

        var settings = deployed.OfType("Microsoft.Insights/diagnosticSettings").Where(r => r.Deployed)
            .ToDictionary(r => Relative(r.Scope!), r => (Workspace: r.Properties!["workspaceId"]!.GetValue<string>(), Categories: r.Properties["logs"]!.AsArray().Select(l => l!["category"]!.GetValue<string>()).Order().ToList()));

        Assert.Equal(new[] { site, tables, bus }.Select(Relative).Order(), settings.Keys.Order());
        Assert.All(settings.Values, s => Assert.Equal(workspace, s.Workspace));
        Assert.Equal(["FunctionAppLogs"], settings[Relative(site)].Categories);

        // Writes and deletes: who changed incidents and the audit trail. Reads would be the sweep's 8 a second.
        Assert.Equal(["StorageDelete", "StorageWrite"], settings[Relative(tables)].Categories);
        Assert.Equal(["OperationalLogs"], settings[Relative(bus)].Categories);
    }

    private static ArmDeployment WithChiefs() => InfraTemplate.Deploy(new()
    {
        ["stations"] = Stations(("beilin-01", [BeilinChief]), ("yanta-02", [YantaChief])),
        ["allStationsChiefPrincipalIds"] = new JsonArray(DistrictCommander),
    });

    private static JsonArray Stations(params (string Code, string[] Chiefs)[] stations) =>
        new(stations.Select(s => (JsonNode)new JsonObject { ["code"] = s.Code, ["chiefPrincipalIds"] = new JsonArray(s.Chiefs.Select(c => (JsonNode)c).ToArray()) }).ToArray());

    private static JsonObject AppSettings(ArmDeployment deployed) =>
        deployed.OfType("Microsoft.Web/sites/config").Single(r => r.Name.EndsWith("/appsettings", StringComparison.Ordinal)).Properties!.AsObject();

    private static string Query(JsonNode rule) => rule["criteria"]!["allOf"]![0]!["query"]!.GetValue<string>();

    /// <summary>The template variable that holds infra/servicebus/config.json (Bicep inlines each loaded file as one).</summary>
    private static JsonNode ServiceBusConfigVariable(JsonObject template) =>
        template["variables"]!.AsObject().Single(v => v.Value is JsonObject loaded && loaded["UserConfig"] is not null).Value!;

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
}
