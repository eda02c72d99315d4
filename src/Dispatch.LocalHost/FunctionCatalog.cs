using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Dispatch.LocalHost;

public sealed record HttpFunction(string Name, MethodInfo Method, string Route, IReadOnlyList<string> Methods, AuthorizationLevel Level);

public sealed record TimerFunction(string Name, MethodInfo Method, string Schedule);

/// <summary>
/// Finds every function in an assembly from its <c>[Function]</c>, <c>[HttpTrigger]</c> and
/// <c>[TimerTrigger]</c> attributes, the same attributes the Functions SDK turns into functions.metadata:
/// there is no second route table to keep in step.
/// </summary>
public static partial class FunctionCatalog
{
    public static (IReadOnlyList<HttpFunction> Http, IReadOnlyList<TimerFunction> Timers) Discover(Assembly assembly, IConfiguration configuration)
    {
        var http = new List<HttpFunction>();
        var timers = new List<TimerFunction>();
        foreach (var type in assembly.GetExportedTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
                {
                    continue;
                }

                foreach (var parameter in method.GetParameters())
                {
                    if (parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } trigger)
                    {
                        RequireBindable(function.Name, method, typeof(HttpRequest));
                        var route = trigger.Route ?? function.Name;
                        var methods = (trigger.Methods ?? ["get", "post", "put", "patch", "delete", "head", "options"])
                            .Select(m => m.ToUpperInvariant()).ToList();
                        http.Add(new HttpFunction(function.Name, method, Resolve(route, configuration, function.Name), methods, trigger.AuthLevel));
                    }
                    else if (parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timer)
                    {
                        if (timer.RunOnStartup)
                        {
                            throw new InvalidOperationException($"Function {function.Name}: RunOnStartup is not allowed (it fires on every scale-out).");
                        }

                        RequireBindable(function.Name, method, typeof(TimerInfo));
                        timers.Add(new TimerFunction(function.Name, method, Resolve(timer.Schedule, configuration, function.Name)));
                    }
                }
            }
        }

        return (http, timers);
    }

    /// <summary>Resolves <c>%SETTING%</c> expressions the way the Functions host does, from app settings.</summary>
    public static string Resolve(string expression, IConfiguration configuration, string functionName) =>
        SettingExpression().Replace(expression, match =>
            configuration[match.Groups[1].Value] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"Function {functionName}: app setting '{match.Groups[1].Value}' (used as %{match.Groups[1].Value}%) is not set."));

    /// <summary>Refuses at start a function whose parameters the local host could not supply.</summary>
    private static void RequireBindable(string name, MethodInfo method, Type triggerType)
    {
        foreach (var parameter in method.GetParameters())
        {
            var type = parameter.ParameterType;
            if (type != triggerType && type != typeof(CancellationToken) && (type != typeof(string) || triggerType != typeof(HttpRequest)))
            {
                throw new InvalidOperationException(
                    $"Function {name}: the local host cannot bind parameter '{parameter.Name}' of type {type.Name}.");
            }
        }
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
