using Dispatch.Contracts;
using Dispatch.Core;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;

namespace Dispatch.Functions.Http;

/// <summary>
/// The domain's refusals in the caller's words: each carries a stable code and its arguments (<see cref="Refusal"/>),
/// worded from the catalogue's <c>refusal.{code}</c>; a wire value among the arguments becomes its word.
/// </summary>
public static class Refusals
{
    /// <summary>The refusal as a phrase; an exception without a code keeps its own (English) message.</summary>
    public static Phrase Worded(Exception exception)
    {
        if (exception is not IRefused { Refusal: { } refusal })
        {
            return Phrase.Verbatim(exception.Message);
        }

        var arguments = new List<(string Name, object? Value)>();
        foreach (var (name, value) in refusal.Arguments)
        {
            switch (value)
            {
                case IncidentAction action:
                    // "Only {who} may {action} this incident": who may is the action's own list of people.
                    arguments.Add((name, Phrase.Of($"verb.{action.Name()}")));
                    arguments.Add(("who", Phrase.Of($"refusal.who.{action.Name()}")));
                    break;
                case IncidentStatus status:
                    arguments.Add((name, Phrase.Of($"status.{status.Name()}")));
                    break;
                case IEnumerable<IncidentStatus> statuses:
                    arguments.Add((name, statuses.Select(s => Phrase.Of($"status.{s.Name()}")).ToList()));
                    break;
                case ClockKind clock:
                    arguments.Add((name, Phrase.Of($"clock.{clock.Name()}")));
                    break;
                case Audience audience:
                    arguments.Add((name, Phrase.Of($"audience.{audience.Name()}")));
                    break;
                default:
                    arguments.Add((name, value));
                    break;
            }
        }

        return new Phrase($"refusal.{refusal.Code}", arguments);
    }
}
