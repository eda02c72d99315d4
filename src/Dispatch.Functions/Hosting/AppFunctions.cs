using System.Collections.Frozen;
using System.Reflection;
using Dispatch.Functions.Identity;
using Microsoft.Azure.Functions.Worker;

namespace Dispatch.Functions.Hosting;

/// <summary>One function of the app as its attributes declare it: the same attributes the Functions SDK writes into functions.metadata.</summary>
/// <param name="Anonymous">Marked <see cref="AnonymousAttribute"/>: served without asking who is calling.</param>
public sealed record AppFunction(string Name, MethodInfo Method, HttpTriggerAttribute? Http, TimerTriggerAttribute? Timer, bool Anonymous)
{
    /// <summary><c>Namespace.Class.Method</c>, as functions.metadata names it.</summary>
    public string EntryPoint => $"{Method.DeclaringType!.FullName}.{Method.Name}";

    /// <summary>The methods an HTTP function answers, upper case; every method when its trigger names none (as the Functions host does).</summary>
    public IReadOnlyList<string> HttpMethods => Http is null ? [] : [.. (Http.Methods ?? AllMethods).Select(m => m.ToUpperInvariant())];

    /// <summary>The route under the prefix; the function's name when its trigger names none (as the Functions host does).</summary>
    public string? Route => Http is null ? null : Http.Route ?? Name;

    private static readonly string[] AllMethods = ["get", "post", "put", "patch", "delete", "head", "options"];
}

/// <summary>
/// The app's functions, found once from their attributes, and the one place both hosts ask what a function is:
/// the worker's middleware (is it anonymous?), the local host (what to serve, and is it anonymous?) and the
/// fallback route (which routes exist). There is no second route table to keep in step.
/// </summary>
public static class AppFunctions
{
    public static IReadOnlyList<AppFunction> All { get; } = Discover(typeof(AppFunctions).Assembly);

    private static readonly FrozenDictionary<string, AppFunction> ByName = All.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>
    /// True only for a function marked <see cref="AnonymousAttribute"/>. A name the app does not declare is not
    /// anonymous: the caller is asked who they are, never let through unasked.
    /// </summary>
    public static bool IsAnonymous(string functionName) => ByName.TryGetValue(functionName, out var function) && function.Anonymous;

    public static AppFunction? Named(string functionName) => ByName.GetValueOrDefault(functionName);

    private static List<AppFunction> Discover(Assembly assembly) =>
    [
        .. from type in assembly.GetExportedTypes()
           from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
           let function = method.GetCustomAttribute<FunctionAttribute>()
           where function is not null
           let parameters = method.GetParameters()
           select new AppFunction(
               function.Name,
               method,
               parameters.Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).OfType<HttpTriggerAttribute>().FirstOrDefault(),
               parameters.Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()).OfType<TimerTriggerAttribute>().FirstOrDefault(),
               method.IsDefined(typeof(AnonymousAttribute))),
    ];
}
