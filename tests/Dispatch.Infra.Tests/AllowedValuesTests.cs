using System.Text.Json.Nodes;

namespace Dispatch.Infra.Tests;

/// <summary>
/// Every property the template sets, for the parameter file and for each parameter's extremes, checked against
/// infra/allowed-values.json: what Azure allows, copied by hand from Microsoft's pages with the link beside each
/// row. The expected values come from that table, never from the template.
/// </summary>
public sealed class AllowedValuesTests
{
    [Fact]
    public void Every_row_of_the_reference_table_states_a_rule_with_its_link_or_why_the_property_is_free()
    {
        var table = AllowedValues.Load();

        Assert.NotEmpty(table.Entries);
        Assert.Empty(table.Entries.Select(e => (e, Defect: e.Defect())).Where(d => d.Defect is not null).Select(d => $"{d.e.Type} {d.e.Path}: {d.Defect}"));
        Assert.Empty(table.Entries.GroupBy(e => (e.Type, e.Path)).Where(g => g.Count() > 1).Select(g => $"{g.Key.Type} {g.Key.Path} has {g.Count()} rows"));
    }

    [Fact]
    public void Every_property_the_parameter_file_deploys_is_one_azure_allows()
    {
        var findings = AllowedValues.Load().Findings(InfraTemplate.Deploy(), "the parameter file").ToList();

        Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings));
    }

    [Fact]
    public void Every_property_deployed_at_each_parameters_extremes_is_one_azure_allows()
    {
        var table = AllowedValues.Load();
        var extremes = ParameterExtremes.Of(InfraTemplate.Template).ToList();

        var findings = extremes.SelectMany(e => table.Findings(InfraTemplate.Deploy(e.Changes), e.Label)).ToList();

        Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings));

        // Each parameter with a bound, an allowed list or a switch was pushed to its edges, not just the file's value.
        string[] pushed = ["namePrefix", "stations", "allStationsChiefPrincipalIds", "unreadAlertWindow", "outboxAlertSeconds", "instanceMemoryMB", "maximumInstanceCount", "storageSku", "lockStorage", "alertsRoutedElsewhere"];
        Assert.All(pushed, p => Assert.Contains(extremes, e => e.Changes.ContainsKey(p)));
    }

    [Fact]
    public void Every_number_parameter_has_both_bounds_so_its_extremes_can_be_evaluated()
    {
        var template = InfraTemplate.Template;
        var definitions = template["definitions"]?.AsObject() ?? [];

        var unbounded = template["parameters"]!.AsObject().Select(p => ParameterExtremes.Unbounded(p.Key, p.Value!.AsObject(), definitions)).OfType<string>();

        Assert.Empty(unbounded);
    }

    [Fact]
    public void A_window_azure_refuses_or_a_property_the_table_does_not_cover_is_a_finding()
    {
        // The window of the former parameter (unreadAlertMinutes = 10): admitted by a loose declaration, refused by Azure.
        var loose = InfraTemplate.Template.DeepClone().AsObject();
        loose["parameters"]!["unreadAlertWindow"]!["allowedValues"]!.AsArray().Add("PT10M");
        var deployed = Arm.ArmDeployment.Evaluate(loose, Parameters(("unreadAlertWindow", "PT10M")), Arm.ArmTarget.Sample);
        var table = AllowedValues.Load();

        var refused = table.Findings(deployed, "PT10M").ToList();

        var finding = Assert.Single(refused);
        Assert.Contains("Microsoft.Insights/metricAlerts", finding, StringComparison.Ordinal);
        Assert.Contains("properties.windowSize = \"PT10M\": Azure allows only the durations", finding, StringComparison.Ordinal);

        // A table without the window's row leaves it uncovered, which is a finding too.
        var withoutRow = new JsonObject
        {
            ["properties"] = new JsonArray(table.Entries.Where(e => e.Path != "properties.windowSize" || e.Type != "Microsoft.Insights/metricAlerts").Select(e => e.Row.DeepClone()).ToArray()),
        };
        var uncovered = AllowedValues.Parse(withoutRow).Findings(InfraTemplate.Deploy(), "file").ToList();
        Assert.Equal(2, uncovered.Count);
        Assert.All(uncovered, f => Assert.Matches("Microsoft.Insights/metricAlerts properties.windowSize = \"PT[0-9]+M\" is not in infra/allowed-values.json$", f));
    }

    [Fact]
    public void Resource_manager_refuses_a_parameter_value_its_declaration_does_not_admit()
    {
        var error = Assert.Throws<ArgumentException>(() => InfraTemplate.Deploy(new Dictionary<string, JsonNode?> { ["unreadAlertWindow"] = "PT10M" }));

        Assert.Contains("unreadAlertWindow", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, JsonNode?> Parameters(params (string Name, JsonNode? Value)[] changes)
    {
        var parameters = InfraTemplate.FileParameters();
        foreach (var (name, value) in changes)
        {
            parameters[name] = value;
        }

        return parameters;
    }
}
