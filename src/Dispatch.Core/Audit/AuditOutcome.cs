namespace Dispatch.Core.Audit;

/// <summary>What a change the domain commits did to what it changed.</summary>
public enum AuditChange { Created, Changed, Removed }

/// <summary>
/// What came of a request, as its audit record keeps it. A change the domain commits says what it did
/// (<see cref="Created"/>, <see cref="Changed"/>, <see cref="Removed"/>); a decision the edge takes and answers
/// itself — a read, a refusal, a failure — is kept as that answer (<see cref="AnsweredWith"/>), which the domain
/// never interprets. The edge alone knows how either is put to the caller, and maps both.
/// </summary>
/// <remarks><c>default(AuditOutcome)</c> is an answer of 0: a request that never finished.</remarks>
public readonly record struct AuditOutcome
{
    private AuditOutcome(AuditChange? change, int answer)
    {
        Change = change;
        Answer = answer;
    }

    public static AuditOutcome Created { get; } = new(AuditChange.Created, 0);

    public static AuditOutcome Changed { get; } = new(AuditChange.Changed, 0);

    public static AuditOutcome Removed { get; } = new(AuditChange.Removed, 0);

    /// <summary>The change the domain made; null for an answer of the edge.</summary>
    public AuditChange? Change { get; }

    /// <summary>The edge's own answer; 0 for a change, whose answer the edge derives from it.</summary>
    public int Answer { get; }

    public static AuditOutcome AnsweredWith(int answer) => new(null, answer);
}
