using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dispatch.Infra.Tests.Arm;

/// <summary>Where a deployment happens: what <c>resourceGroup()</c>, <c>subscription()</c> and <c>tenant()</c> return.</summary>
public sealed record ArmTarget(string SubscriptionId, string ResourceGroup, string Location, string TenantId)
{
    public static ArmTarget Sample { get; } = new("00000000-0000-0000-0000-00000000aaaa", "dispatch-rg", "eastasia", "00000000-0000-0000-0000-00000000bbbb");

    public string ResourceGroupId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}";
}

/// <summary>A resource as it would be deployed: every expression evaluated, module by module.</summary>
/// <param name="Module">The module it comes from ("" for main.bicep, "roles", "serviceBus/topic-escalations").</param>
/// <param name="Deployed">False when its condition is false (or it is <c>existing</c>): ARM leaves it out.</param>
/// <param name="Copy">The loop it belongs to, with <c>mode</c> and <c>batchSize</c> as written.</param>
public sealed record ArmResource(
    string Module, string Symbol, string Type, string Name, string Id, bool Deployed, string? Scope,
    JsonNode? Properties, IReadOnlyList<string> DependsOn, JsonObject? Copy, JsonObject Evaluated);

/// <summary>
/// Evaluates a compiled ARM template (what <c>bicep build</c> writes) for given parameter values, the way
/// Resource Manager would before deploying: parameters and defaults, variables (and their copy loops),
/// conditions, resource copy loops, nested deployments (Bicep modules) with their outputs, and the template
/// functions Bicep emits. Values known only after deployment (a resource's principal id, a site's host name)
/// come out as placeholders like <c>&lt;/subscriptions/.../sites/x.defaultHostName&gt;</c>, so tests can still check
/// which resource they come from.
/// </summary>
public sealed class ArmDeployment
{
    private readonly List<ArmResource> resources = [];

    private ArmDeployment()
    {
    }

    public IReadOnlyList<ArmResource> Resources => resources;

    public JsonObject Outputs { get; private set; } = [];

    public static ArmDeployment Evaluate(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters, ArmTarget target)
    {
        var deployment = new ArmDeployment();
        var scope = new TemplateScope(deployment, template, target, "", parameters.ToDictionary(p => p.Key, p => ArmValue.FromJson(p.Value), StringComparer.OrdinalIgnoreCase));
        deployment.Outputs = (JsonObject)ArmValue.ToJson(scope.EvaluateAll())!;
        return deployment;
    }

    public IEnumerable<ArmResource> OfType(string type) =>
        resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    internal void Add(ArmResource resource) => resources.Add(resource);

    /// <summary>One template being evaluated: its parameters, variables and resources.</summary>
    private sealed class TemplateScope
    {
        private readonly ArmDeployment deployment;
        private readonly JsonObject template;
        private readonly ArmTarget target;
        private readonly string module;
        private readonly Dictionary<string, object?> parameters;
        private readonly Dictionary<string, object?> variables = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, JsonObject> definitions = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, ArmObject> moduleOutputs = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> evaluating = new(StringComparer.OrdinalIgnoreCase);

        public TemplateScope(ArmDeployment deployment, JsonObject template, ArmTarget target, string module, Dictionary<string, object?> given)
        {
            this.deployment = deployment;
            this.template = template;
            this.target = target;
            this.module = module;
            parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, definition) in template["parameters"]?.AsObject() ?? [])
            {
                if (given.TryGetValue(name, out var value))
                {
                    parameters[name] = Admitted(name, definition!.AsObject(), value);
                }
                else if (definition!["defaultValue"] is { } fallback)
                {
                    parameters[name] = Evaluate(ArmValue.FromJson(fallback), new Frame());
                }
                else
                {
                    throw new ArgumentException($"{Where}parameter '{name}' has no value.");
                }
            }

            foreach (var (symbol, resource) in EnumerateResources())
            {
                definitions[symbol] = resource;
            }
        }

        private string Where => module.Length == 0 ? "" : $"module {module}: ";

        /// <summary>A given value, refused the way Resource Manager refuses it when the declaration does not admit it.</summary>
        private object? Admitted(string name, JsonObject declared, object? value)
        {
            var schema = declared["$ref"]?.GetValue<string>() is { } reference
                ? template["definitions"]![reference["#/definitions/".Length..]]!.AsObject()
                : declared;
            var json = ArmValue.ToJson(value);
            var length = value switch { string s => s.Length, List<object?> l => l.Count, _ => -1 };
            var refused =
                (schema["allowedValues"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, json)))
                || (schema["minValue"] is { } min && value is long low && low < min.GetValue<long>())
                || (schema["maxValue"] is { } max && value is long high && high > max.GetValue<long>())
                || (schema["minLength"] is { } shortest && length >= 0 && length < shortest.GetValue<int>())
                || (schema["maxLength"] is { } longest && length > longest.GetValue<int>());
            return refused
                ? throw new ArgumentException($"{Where}the value {json?.ToJsonString()} of parameter '{name}' is not one its declaration admits")
                : value;
        }

        /// <summary>Every resource of this template and its modules; returns the evaluated outputs.</summary>
        public ArmObject EvaluateAll()
        {
            foreach (var (symbol, definition) in definitions)
            {
                if (IsDeployment(definition))
                {
                    EvaluateModule(symbol, definition);
                }
                else
                {
                    EvaluateResource(symbol, definition);
                }
            }

            var outputs = new ArmObject();
            foreach (var (name, output) in template["outputs"]?.AsObject() ?? [])
            {
                outputs[name] = Evaluate(ArmValue.FromJson(output!["value"]), new Frame());
            }

            return outputs;
        }

        private IEnumerable<(string Symbol, JsonObject Resource)> EnumerateResources() => template["resources"] switch
        {
            JsonObject map => map.Select(p => (p.Key, p.Value!.AsObject())),
            JsonArray array => array.Select((r, i) => ($"#{i}", r!.AsObject())),
            _ => [],
        };

        private static bool IsDeployment(JsonObject resource) =>
            string.Equals(resource["type"]?.GetValue<string>(), "Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase)
            && resource["properties"]?["template"] is not null;

        private void EvaluateResource(string symbol, JsonObject definition)
        {
            foreach (var frame in Instances(definition))
            {
                var existing = definition["existing"]?.GetValue<bool>() == true;
                var condition = definition["condition"] is { } c ? ArmValue.Truthy(Evaluate(ArmValue.FromJson(c), frame)) : true;
                var evaluated = (ArmObject)Evaluate(ArmValue.FromJson(Without(definition, "copy", "condition")), frame)!;
                var type = (string)evaluated["type"]!;
                var name = (string)evaluated["name"]!;
                var scopeValue = evaluated.TryGetValue("scope", out var s) ? ArmValue.Text(s) : null;
                deployment.Add(new ArmResource(
                    module, symbol, type, name, ResourceIdOf(type, name, scopeValue), condition && !existing, scopeValue,
                    ArmValue.ToJson(evaluated.TryGetValue("properties", out var p) ? p : null),
                    DependsOn(evaluated), definition["copy"]?.DeepClone().AsObject(), (JsonObject)ArmValue.ToJson(evaluated)!));
            }
        }

        private void EvaluateModule(string symbol, JsonObject definition)
        {
            var index = 0;
            foreach (var frame in Instances(definition))
            {
                var outputs = RunModule(definition, frame, out var name, out var deployed);
                if (definition["copy"] is null)
                {
                    moduleOutputs[symbol] = outputs;
                }

                deployment.Add(new ArmResource(module, definition["copy"] is null ? symbol : $"{symbol}[{index}]", "Microsoft.Resources/deployments", name,
                    ResourceIdOf("Microsoft.Resources/deployments", name, null), deployed, null, null,
                    DependsOn((ArmObject)Evaluate(ArmValue.FromJson(new JsonObject { ["dependsOn"] = definition["dependsOn"]?.DeepClone() ?? new JsonArray() }), frame)!),
                    definition["copy"]?.DeepClone().AsObject(), new JsonObject { ["name"] = name }));
                index++;
            }
        }

        private ArmObject RunModule(JsonObject definition, Frame frame, out string name, out bool deployed)
        {
            name = (string)Evaluate(ArmValue.FromJson(definition["name"]), frame)!;
            deployed = definition["condition"] is not { } c || ArmValue.Truthy(Evaluate(ArmValue.FromJson(c), frame));
            var given = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (parameter, value) in definition["properties"]!["parameters"]?.AsObject() ?? [])
            {
                // Either { "value": <expression> } or an expression that yields { "value": ... }.
                var wrapped = Evaluate(ArmValue.FromJson(value), frame) as ArmObject
                    ?? throw new FormatException($"{Where}module parameter '{parameter}' is not an object");
                given[parameter] = wrapped["value"];
            }

            var child = new TemplateScope(deployment, definition["properties"]!["template"]!.AsObject(), target,
                module.Length == 0 ? name : $"{module}/{name}", given);
            return deployed ? child.EvaluateAll() : [];
        }

        /// <summary>One frame per copy-loop instance (just one without a loop).</summary>
        private IEnumerable<Frame> Instances(JsonObject definition)
        {
            if (definition["copy"] is not JsonObject copy)
            {
                yield return new Frame();
                yield break;
            }

            var loop = copy["name"]!.GetValue<string>();
            var count = (long)Evaluate(ArmValue.FromJson(copy["count"]), new Frame())!;
            for (var i = 0; i < count; i++)
            {
                yield return new Frame { Loops = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { [loop] = i, [""] = i } };
            }
        }

        private static List<string> DependsOn(ArmObject evaluated) =>
            evaluated.TryGetValue("dependsOn", out var d) && d is List<object?> list ? list.Select(ArmValue.Text).ToList() : [];

        private static JsonObject Without(JsonObject source, params string[] names)
        {
            var copy = source.DeepClone().AsObject();
            foreach (var name in names)
            {
                copy.Remove(name);
            }

            return copy;
        }

        private string ResourceIdOf(string type, string name, string? scope)
        {
            var segments = type.Split('/');
            var names = name.Split('/');
            var path = new StringBuilder($"/providers/{segments[0]}");
            for (var i = 1; i < segments.Length; i++)
            {
                path.Append('/').Append(segments[i]).Append('/').Append(i - 1 < names.Length ? names[i - 1] : "?");
            }

            return scope is null || scope.Length == 0 ? target.ResourceGroupId + path : scope + path;
        }

        private object? Evaluate(object? value, Frame frame) => value switch
        {
            string text when ArmExpression.IsExpression(text) => Evaluate(ArmExpression.Parse(text), frame),
            string text when text.StartsWith("[[", StringComparison.Ordinal) => text[1..],
            ArmObject obj => EvaluateObject(obj, frame),
            List<object?> list => list.Select(item => Evaluate(item, frame)).ToList(),
            _ => value,
        };

        private ArmObject EvaluateObject(ArmObject obj, Frame frame)
        {
            var result = new ArmObject();
            foreach (var (key, item) in obj)
            {
                if (key == "copy" && item is List<object?> copies)
                {
                    // A property copy loop: each entry makes an array property from its input.
                    foreach (ArmObject copy in copies.Cast<ArmObject>())
                    {
                        var loop = (string)copy["name"]!;
                        var count = (long)Evaluate(copy["count"], frame)!;
                        result[loop] = Enumerable.Range(0, (int)count).Select(i => Evaluate(copy["input"], frame.WithLoop(loop, i))).ToList();
                    }

                    continue;
                }

                // A key may itself be an expression: userAssignedIdentities: { '[resourceId(...)]': {} }.
                result[ArmExpression.IsExpression(key) ? ArmValue.Text(Evaluate(key, frame)) : key] = Evaluate(item, frame);
            }

            return result;
        }

        private object? Variable(string name)
        {
            if (variables.TryGetValue(name, out var known))
            {
                return known;
            }

            if (!evaluating.Add(name))
            {
                throw new InvalidOperationException($"{Where}variable '{name}' refers to itself");
            }

            var all = template["variables"]!.AsObject();
            object? value;
            if (all["copy"] is JsonArray loops && loops.FirstOrDefault(l => string.Equals(l!["name"]!.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase)) is { } loop)
            {
                var count = (long)Evaluate(ArmValue.FromJson(loop["count"]), new Frame())!;
                value = Enumerable.Range(0, (int)count).Select(i => Evaluate(ArmValue.FromJson(loop["input"]), new Frame().WithLoop(name, i))).ToList();
            }
            else
            {
                var definition = all.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
                value = definition.Key is null
                    ? throw new KeyNotFoundException($"{Where}no variable '{name}'")
                    : Evaluate(ArmValue.FromJson(definition.Value), new Frame());
            }

            evaluating.Remove(name);
            return variables[name] = value;
        }

        private object? Evaluate(ArmExpression expression, Frame frame)
        {
            switch (expression)
            {
                case ArmExpression.Literal literal:
                    return literal.Value;
                case ArmExpression.Member member:
                    return ArmValue.Member(Evaluate(member.Target, frame), member.Name);
                case ArmExpression.Index index:
                    return ArmValue.Index(Evaluate(index.Target, frame), Evaluate(index.Key, frame));
                case ArmExpression.Call { Function: var f } call when f.Equals("lambda", StringComparison.OrdinalIgnoreCase):
                    var names = call.Arguments.Take(call.Arguments.Count - 1).Select(a => (string)((ArmExpression.Literal)a).Value!).ToList();
                    return new Lambda(names, call.Arguments[^1], frame);
                case ArmExpression.Call { Function: var f } call when f.Equals("if", StringComparison.OrdinalIgnoreCase):
                    // ARM evaluates only the branch it takes.
                    return ArmValue.Truthy(Evaluate(call.Arguments[0], frame)) ? Evaluate(call.Arguments[1], frame) : Evaluate(call.Arguments[2], frame);
                case ArmExpression.Call call:
                    return CallFunction(call.Function, call.Arguments.Select(a => Evaluate(a, frame)).ToList(), frame);
                default:
                    throw new NotSupportedException(expression.GetType().Name);
            }
        }

        private object? Invoke(object? lambda, Frame _, params object?[] arguments)
        {
            var l = (Lambda)lambda!;
            var frame = l.Closure;
            for (var i = 0; i < l.Names.Count; i++)
            {
                frame = frame.WithVariable(l.Names[i], arguments[i]);
            }

            return Evaluate(l.Body, frame);
        }

        private object? CallFunction(string function, List<object?> a, Frame frame)
        {
            string S(int i) => ArmValue.Text(a[i]);
            switch (function.ToLowerInvariant())
            {
                case "parameters": return parameters.TryGetValue(S(0), out var p) ? p : throw new KeyNotFoundException($"{Where}no parameter '{S(0)}'");
                case "variables": return Variable(S(0));
                case "lambdavariables": return frame.Variables[S(0)];
                case "copyindex":
                    var loop = a.Count > 0 && a[0] is string n ? n : "";
                    var offset = a.Count > 0 && a[^1] is long o ? o : 0;
                    return frame.Loops.TryGetValue(loop, out var at) ? at + offset : throw new InvalidOperationException($"{Where}copyIndex('{loop}') outside its loop");
                case "true": return true;
                case "false": return false;
                case "null": return null;
                case "string": return ArmValue.Text(a[0]);
                case "int": return Convert.ToInt64(a[0], CultureInfo.InvariantCulture);
                case "bool": return a[0] is string b ? bool.Parse(b) : ArmValue.Truthy(a[0]);
                case "json": return ArmValue.FromJson(JsonNode.Parse(S(0)));
                case "format": return string.Format(CultureInfo.InvariantCulture, S(0), a.Skip(1).Select(ArmValue.Text).Cast<object>().ToArray());
                case "concat":
                    return a.All(x => x is List<object?>) ? a.Cast<List<object?>>().SelectMany(x => x).ToList() : string.Concat(a.Select(ArmValue.Text));
                case "createarray": return a.ToList();
                case "createobject":
                    var created = new ArmObject();
                    for (var i = 0; i + 1 < a.Count; i += 2)
                    {
                        created[S(i)] = a[i + 1];
                    }

                    return created;
                case "union":
                    if (a.All(x => x is List<object?>))
                    {
                        return a.Cast<List<object?>>().SelectMany(x => x).Distinct().ToList();
                    }

                    var merged = new ArmObject();
                    foreach (ArmObject part in a.Cast<ArmObject>())
                    {
                        foreach (var (k, v) in part)
                        {
                            merged[k] = v;
                        }
                    }

                    return merged;
                case "coalesce": return a.FirstOrDefault(x => x is not null);
                case "tryget": return a[0] is ArmObject o2 && o2.TryGetValue(S(1), out var got) ? got : a[0] is List<object?> l2 && a[1] is long li && li < l2.Count ? l2[(int)li] : null;
                case "empty": return a[0] switch { null => true, string s => s.Length == 0, List<object?> l => l.Count == 0, ArmObject o3 => o3.Count == 0, _ => false };
                case "length": return (long)(a[0] switch { string s => s.Length, List<object?> l => l.Count, ArmObject o4 => o4.Count, _ => throw new ArgumentException("length of " + a[0]) });
                case "not": return !ArmValue.Truthy(a[0]);
                case "and": return a.All(ArmValue.Truthy);
                case "or": return a.Any(ArmValue.Truthy);
                case "equals": return ArmValue.AreEqual(a[0], a[1]);
                case "contains":
                    return a[0] switch
                    {
                        string s => s.Contains(S(1), StringComparison.OrdinalIgnoreCase),
                        List<object?> l => l.Any(x => ArmValue.AreEqual(x, a[1])),
                        ArmObject o5 => o5.ContainsKey(S(1)),
                        _ => false,
                    };
                case "startswith": return S(0).StartsWith(S(1), StringComparison.OrdinalIgnoreCase);
                case "endswith": return S(0).EndsWith(S(1), StringComparison.OrdinalIgnoreCase);
                case "tolower": return S(0).ToLowerInvariant();
                case "toupper": return S(0).ToUpperInvariant();
                case "replace": return S(0).Replace(S(1), S(2), StringComparison.Ordinal);
                case "take": return a[0] is List<object?> tl ? tl.Take((int)(long)a[1]!).ToList() : new string(S(0).Take((int)(long)a[1]!).ToArray());
                case "skip": return a[0] is List<object?> sl ? sl.Skip((int)(long)a[1]!).ToList() : new string(S(0).Skip((int)(long)a[1]!).ToArray());
                case "split":
                    // An empty separator splits into characters, as ARM does.
                    return S(1).Length == 0 ? S(0).Select(c => (object?)c.ToString()).ToList() : S(0).Split(S(1)).Select(x => (object?)x).ToList();
                case "join": return string.Join(S(1), ((List<object?>)a[0]!).Select(ArmValue.Text));
                case "first": return a[0] is List<object?> fl ? fl.FirstOrDefault() : S(0)[..1];
                case "last": return a[0] is List<object?> ll ? ll.LastOrDefault() : S(0)[^1..];
                case "range": return Enumerable.Range((int)(long)a[0]!, (int)(long)a[1]!).Select(i => (object?)(long)i).ToList();
                case "flatten": return ((List<object?>)a[0]!).SelectMany(x => (List<object?>)x!).ToList();
                case "map": return ((List<object?>)a[0]!).Select((x, i) => Invoke(a[1], frame, x, (long)i)).ToList();
                case "filter": return ((List<object?>)a[0]!).Where(x => ArmValue.Truthy(Invoke(a[1], frame, x))).ToList();
                case "reduce": return ((List<object?>)a[0]!).Aggregate(a[1], (acc, x) => Invoke(a[2], frame, acc, x));
                case "greater": return Compare(a[0], a[1]) > 0;
                case "less": return Compare(a[0], a[1]) < 0;
                case "greaterorequals": return Compare(a[0], a[1]) >= 0;
                case "lessorequals": return Compare(a[0], a[1]) <= 0;
                case "add": return (long)a[0]! + (long)a[1]!;
                case "sub": return (long)a[0]! - (long)a[1]!;
                case "guid": return Guid(string.Join("|", a.Select(ArmValue.Text)));
                case "uniquestring": return UniqueString(string.Join("|", a.Select(ArmValue.Text)));
                case "resourcegroup": return new ArmObject { ["id"] = target.ResourceGroupId, ["name"] = target.ResourceGroup, ["location"] = target.Location };
                case "subscription": return new ArmObject { ["id"] = $"/subscriptions/{target.SubscriptionId}", ["subscriptionId"] = target.SubscriptionId, ["tenantId"] = target.TenantId };
                case "tenant": return new ArmObject { ["tenantId"] = target.TenantId };
                case "environment":
                    return new ArmObject
                    {
                        ["name"] = "AzureCloud",
                        ["authentication"] = new ArmObject { ["loginEndpoint"] = "https://login.microsoftonline.com/" },
                        ["suffixes"] = new ArmObject { ["storage"] = "core.windows.net" },
                    };
                case "resourceid": return ResourceId(target.ResourceGroupId, a);
                case "subscriptionresourceid": return ResourceId($"/subscriptions/{target.SubscriptionId}", a);
                case "extensionresourceid": return ResourceId(S(0), a.Skip(1).ToList());
                case "reference": return Reference(S(0));
                default:
                    throw new NotSupportedException($"{Where}template function '{function}' is not supported by this evaluator");
            }
        }

        private static int Compare(object? x, object? y) => x is string sx ? string.CompareOrdinal(sx, (string)y!) : ((long)x!).CompareTo((long)y!);

        private static string ResourceId(string prefix, List<object?> a)
        {
            var typeAt = a.FindIndex(x => x is string s && s.Contains('/', StringComparison.Ordinal));
            var type = (string)a[typeAt]!;
            var names = a.Skip(typeAt + 1).Select(ArmValue.Text).ToList();
            if (typeAt == 2)
            {
                prefix = $"/subscriptions/{ArmValue.Text(a[0])}/resourceGroups/{ArmValue.Text(a[1])}";
            }

            var segments = type.Split('/');
            var path = new StringBuilder(prefix).Append("/providers/").Append(segments[0]);
            for (var i = 1; i < segments.Length; i++)
            {
                path.Append('/').Append(segments[i]).Append('/').Append(names[i - 1]);
            }

            return path.ToString();
        }

        /// <summary>A module's outputs, or a placeholder for a resource's runtime properties.</summary>
        private object Reference(string target)
        {
            var symbol = definitions.Keys.FirstOrDefault(k => string.Equals(k, target, StringComparison.OrdinalIgnoreCase));
            if (symbol is null && target.Contains("/providers/Microsoft.Resources/deployments/", StringComparison.OrdinalIgnoreCase))
            {
                var name = target[(target.LastIndexOf('/') + 1)..];
                symbol = definitions.FirstOrDefault(d => IsDeployment(d.Value) && string.Equals(ArmValue.Text(Evaluate(ArmValue.FromJson(d.Value["name"]), new Frame())), name, StringComparison.OrdinalIgnoreCase)).Key;
            }

            if (symbol is not null && IsDeployment(definitions[symbol]))
            {
                if (!moduleOutputs.TryGetValue(symbol, out var outputs))
                {
                    outputs = moduleOutputs[symbol] = RunModuleOutputsOnly(definitions[symbol]);
                }

                return new ArmObject { ["outputs"] = new ArmObject(outputs.Select(o => KeyValuePair.Create(o.Key, (object?)new ArmObject { ["value"] = o.Value }))) };
            }

            if (symbol is not null)
            {
                var definition = definitions[symbol];
                var type = ArmValue.Text(Evaluate(ArmValue.FromJson(definition["type"]), new Frame()));
                var name = ArmValue.Text(Evaluate(ArmValue.FromJson(definition["name"]), new Frame()));
                return new RuntimeValue(ResourceIdOf(type, name, null));
            }

            return new RuntimeValue(target);
        }

        /// <summary>A module's outputs, read before the module's turn: evaluated in a throwaway deployment so its resources are not listed twice.</summary>
        private ArmObject RunModuleOutputsOnly(JsonObject definition)
        {
            var scratch = new ArmDeployment();
            var scope = new TemplateScope(scratch, template, target, module, parameters);
            return scope.RunModule(definition, new Frame(), out _, out _);
        }

        private static string Guid(string text)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
            return new Guid(hash.AsSpan(0, 16)).ToString();
        }

        private static string UniqueString(string text)
        {
            const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
            return new string(hash.Take(13).Select(b => Alphabet[b % 32]).ToArray());
        }
    }

    /// <summary>Where an expression is evaluated: the copy loops it is inside and the lambda variables in scope.</summary>
    private sealed record Frame
    {
        public Dictionary<string, int> Loops { get; init; } = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, object?> Variables { get; init; } = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);

        public Frame WithLoop(string name, int index) =>
            this with { Loops = new Dictionary<string, int>(Loops, StringComparer.OrdinalIgnoreCase) { [name] = index } };

        public Frame WithVariable(string name, object? value) =>
            this with { Variables = new Dictionary<string, object?>(Variables, StringComparer.OrdinalIgnoreCase) { [name] = value } };
    }

    private sealed record Lambda(IReadOnlyList<string> Names, ArmExpression Body, Frame Closure);
}

/// <summary>A JSON object with ARM's case-insensitive property names.</summary>
internal sealed class ArmObject : Dictionary<string, object?>
{
    public ArmObject()
        : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    public ArmObject(IEnumerable<KeyValuePair<string, object?>> items)
        : base(items, StringComparer.OrdinalIgnoreCase)
    {
    }
}

/// <summary>A value Resource Manager learns only when it deploys: written as <c>&lt;resource id.property&gt;</c>.</summary>
internal sealed record RuntimeValue(string Path)
{
    public override string ToString() => $"<{Path}>";
}

internal static class ArmValue
{
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => new ArmObject(o.Select(p => KeyValuePair.Create(p.Key, FromJson(p.Value)))),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        // Read from the number's text: a value built in code (an int) holds a CLR type TryGetValue<long> refuses.
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
            ? l
            : (object)double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
        _ => null,
    };

    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        RuntimeValue r => JsonValue.Create(r.ToString()),
        ArmObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, ToJson(p.Value)))),
        List<object?> list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };

    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        RuntimeValue r => r.ToString(),
        _ => ToJson(value)!.ToJsonString(),
    };

    public static bool Truthy(object? value) => value is true;

    public static bool AreEqual(object? x, object? y) => (x, y) switch
    {
        (string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase),
        _ => JsonNode.DeepEquals(ToJson(x), ToJson(y)),
    };

    public static object? Member(object? target, string name) => target switch
    {
        ArmObject o when o.TryGetValue(name, out var v) => v,
        ArmObject => throw new KeyNotFoundException($"The language expression property '{name}' doesn't exist"),
        RuntimeValue r => new RuntimeValue($"{r.Path}.{name}"),
        _ => throw new InvalidOperationException($"Cannot read property '{name}' of {Text(target)}"),
    };

    public static object? Index(object? target, object? key) => target switch
    {
        List<object?> list => list[(int)(long)key!],
        ArmObject o => Member(o, Text(key)),
        RuntimeValue r => new RuntimeValue($"{r.Path}[{Text(key)}]"),
        _ => throw new InvalidOperationException($"Cannot index {Text(target)}"),
    };
}
