using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Dispatch.Infra.Tests.Arm;
using Dispatch.Testing;

namespace Dispatch.Infra.Tests;

/// <summary>
/// infra/main.bicep compiled by the real Bicep CLI, the parameter file's values, and the template evaluated for
/// them (or for variations) the way Resource Manager evaluates it before it deploys.
/// </summary>
internal static class InfraTemplate
{
    private static readonly Lazy<JsonObject> Compiled = new(() => JsonNode.Parse(Bicep("build", "main.bicep", "--stdout").Output)!.AsObject());

    private static readonly Lazy<Dictionary<string, JsonNode?>> ParameterFile = new(() =>
    {
        var json = JsonNode.Parse(Bicep("build-params", "main.bicepparam", "--stdout").Output)!["parametersJson"]!.GetValue<string>();
        return JsonNode.Parse(json)!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["value"]?.DeepClone());
    });

    public static string Infra => Path.Combine(RepoRoot.Path, "infra");

    public static JsonObject Template => Compiled.Value;

    /// <summary>A copy of the parameter file's values, to change.</summary>
    public static Dictionary<string, JsonNode?> FileParameters() => ParameterFile.Value.ToDictionary(p => p.Key, p => p.Value?.DeepClone());

    /// <summary>The template evaluated for the parameter file's values with <paramref name="changes"/> applied.</summary>
    public static ArmDeployment Deploy(Dictionary<string, JsonNode?>? changes = null)
    {
        var parameters = FileParameters();
        foreach (var (name, value) in changes ?? new Dictionary<string, JsonNode?>())
        {
            parameters[name] = value?.DeepClone();
        }

        return ArmDeployment.Evaluate(Template, parameters, ArmTarget.Sample);
    }

    public static (string Output, string Errors) Bicep(params string[] args) => Bicep(expectSuccess: true, args);

    public static (string Output, string Errors) Bicep(bool expectSuccess, params string[] args)
    {
        var bicep = typeof(InfraTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
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
