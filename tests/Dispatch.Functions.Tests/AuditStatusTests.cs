using Dispatch.Core.Audit;
using Dispatch.Functions.Http;

namespace Dispatch.Functions.Tests;

/// <summary>How the edge answers what the domain did: the status codes of RFC 9110 the API documents for each (README, "The API").</summary>
public sealed class AuditStatusTests
{
    [Fact]
    public void A_change_is_answered_201_200_or_204_and_an_answer_of_the_edge_is_kept_as_it_was()
    {
        Assert.Equal([201, 200, 204], new[] { AuditOutcome.Created, AuditOutcome.Changed, AuditOutcome.Removed }.Select(AuditStatus.Of));
        int[] answers = [401, 403, 503, 0];
        Assert.Equal(answers, answers.Select(s => AuditStatus.Of(AuditStatus.Read(s))));
        Assert.Equal(AuditOutcome.AnsweredWith(404), AuditStatus.Read(404));
    }
}
