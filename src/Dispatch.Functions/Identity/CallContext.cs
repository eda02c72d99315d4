using Dispatch.Core.Audit;

namespace Dispatch.Functions.Identity;

/// <summary>The verified call of the current request, set once by the request pipeline before the function runs.</summary>
public sealed class CallContext
{
    private ApiCall? call;

    public ApiCall Call
    {
        get => call ?? throw new InvalidOperationException("No verified caller: the request pipeline did not run for this function.");
        set => call = value;
    }
}

/// <summary>Marks a function anyone may call without a token (health, the board's static page).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AnonymousAttribute : Attribute;
