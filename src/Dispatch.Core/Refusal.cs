namespace Dispatch.Core;

/// <summary>
/// Why the domain refused, as a stable code and named arguments (ids, numbers, wire values): the edge words it in
/// the caller's language. The exception's own message stays English, for logs.
/// </summary>
public sealed record Refusal(string Code, params (string Name, object Value)[] Arguments);

/// <summary>A refusal of the domain's that the edge can word (404, 403, 409, 412, 422).</summary>
public interface IRefused
{
    Refusal? Refusal { get; }
}
