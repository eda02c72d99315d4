using System.Reflection;
using System.Text.RegularExpressions;
using Dispatch.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;

namespace Dispatch.LocalHost;

/// <param name="Anonymous">Served without asking who is calling (<see cref="AppFunctions.IsAnonymous"/>, the worker's middleware asks the same).</param>
public sealed record HttpFunction(string Name, MethodInfo Method, string Route, IReadOnlyList<string> Methods, AuthorizationLevel Level, bool Anonymous);

public sealed record TimerFunction(string Name, MethodInfo Method, string Schedule);

/// <summary>
/// What the local host serves and fires: <see cref="AppFunctions"/>, the app's own table of its functions (the
/// attributes the Functions SDK turns into functions.metadata), with <c>%SETTING%</c> expressions resolved and every
/// function checked at start for parameters this host can supply.
/// </summary>
public static partial class FunctionCatalog
{
    public static (IReadOnlyList<HttpFunction> Http, IReadOnlyList<TimerFunction> Timers) Discover(IConfiguration configuration)
    {
        var http = new List<HttpFunction>();
        var timers = new List<TimerFunction>();
        foreach (var function in AppFunctions.All)
        {
            if (function.Http is { } trigger)
            {
                RequireBindable(function, typeof(HttpRequest));
                http.Add(new HttpFunction(function.Name, function.Method, Resolve(function.Route!, configuration, function.Name), function.HttpMethods, trigger.AuthLevel, function.Anonymous));
            }
            else if (function.Timer is { } timer)
            {
                if (timer.RunOnStartup)
                {
                    throw new InvalidOperationException($"Function {function.Name}: RunOnStartup is not allowed (it fires on every scale-out).");
                }

                RequireBindable(function, typeof(TimerInfo));
                timers.Add(new TimerFunction(function.Name, function.Method, Resolve(timer.Schedule, configuration, function.Name)));
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

    /// <summary>Refuses at start a function whose parameters or return type the local host could not handle.</summary>
    private static void RequireBindable(AppFunction function, Type triggerType)
    {
        foreach (var parameter in function.Method.GetParameters())
        {
            var type = parameter.ParameterType;
            if (type != triggerType && type != typeof(CancellationToken) && (type != typeof(string) || triggerType != typeof(HttpRequest)))
            {
                throw new InvalidOperationException(
                    $"Function {function.Name}: the local host cannot bind parameter '{parameter.Name}' of type {type.Name}.");
            }
        }

        var returns = function.Method.ReturnType;
        Type[] served = triggerType == typeof(HttpRequest) ? [typeof(IActionResult), typeof(Task<IActionResult>)] : [typeof(void), typeof(Task)];
        if (!served.Contains(returns))
        {
            throw new InvalidOperationException(
                $"Function {function.Name}: the local host cannot use a result of type {returns.Name}; return {string.Join(" or ", served.Select(t => t.Name))}.");
        }
    }

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}
