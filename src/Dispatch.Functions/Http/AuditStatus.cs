using Dispatch.Core.Audit;

namespace Dispatch.Functions.Http;

/// <summary>
/// An audit outcome as the HTTP status the caller got: what the trail stores (<c>Outcome</c>) and shows
/// (<c>outcome</c>). The domain says what a change did; this is the one place that says how that was answered.
/// </summary>
public static class AuditStatus
{
    public static int Of(AuditOutcome outcome) => outcome.Change switch
    {
        AuditChange.Created => 201,
        AuditChange.Changed => 200,
        AuditChange.Removed => 204,
        _ => outcome.Answer,
    };

    /// <summary>A stored status read back: what the caller was answered, whatever decided it.</summary>
    public static AuditOutcome Read(int status) => AuditOutcome.AnsweredWith(status);
}
