using Dispatch.Contracts;
using Dispatch.Core.Audit;
using Dispatch.Core.Identity;
using Dispatch.Core.Incidents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Dispatch.Functions.Http;

/// <summary>Who serves at a station, and who the caller is.</summary>
public sealed class RosterFunctions(RosterService roster, Endpoint endpoint)
{
    [Function("GetRoster")]
    public Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "stations/{station}/roster")] HttpRequest request, string station) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!StationId.TryParse(station, out var stationId))
            {
                return Problem.Field("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
            }

            var members = await roster.ListAsync(call, stationId, ct);
            return new ApiResult(200, new RosterResource(stationId.Value, [.. members.OrderBy(m => m.Person.Name, StringComparer.Ordinal).Select(MemberResource.From)]));
        });

    [Function("PutRosterMember")]
    public Task<IActionResult> Put(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "stations/{station}/roster/{subject}")] HttpRequest request, string station, string subject) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            var reader = new RequestReader();
            if (!StationId.TryParse(station, out var stationId))
            {
                reader.Add("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
            }

            if (!Person.IsValidSubject(subject))
            {
                reader.Add("subject", Phrase.Of("field.subject", ("rule", Phrase.Of("rule.subject"))));
            }
            else if (Person.IsReserved(subject))
            {
                reader.Add("subject", Phrase.Of("field.subject-reserved", ("reserved", Phrase.Of("rule.reserved"))));
            }

            var (body, failure) = await RequestReader.ReadObjectAsync(request, optional: false, ct);
            if (failure is not null)
            {
                return failure;
            }

            reader.RejectUnknown(body, "", ["name", "role", "unit"]);
            var name = reader.Text(body, "name", required: true, maxLength: Person.MaxNameLength);
            var role = reader.Choice<StationRole>(body, "role", RoleNames.TryParse, RoleNames.StationRoles);
            var unit = reader.Text(body, "unit", required: false, maxLength: 64);
            if (reader.HasErrors)
            {
                return Problem.Validation(reader.Errors);
            }

            var membership = new Membership(stationId, new Person(subject, name!), role!.Value, unit);
            var added = await roster.PutAsync(call, membership, ct);
            return new ApiResult(added ? 201 : 200, MemberResource.From(membership));
        });

    [Function("DeleteRosterMember")]
    public Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "stations/{station}/roster/{subject}")] HttpRequest request, string station, string subject) =>
        endpoint.RunAsync(request, async (call, ct) =>
        {
            if (!StationId.TryParse(station, out var stationId))
            {
                return Problem.Field("station", Phrase.Of("field.station", ("rule", Phrase.Of("rule.station"))));
            }

            if (!Person.IsValidSubject(subject))
            {
                return Problem.Field("subject", Phrase.Of("field.subject", ("rule", Phrase.Of("rule.subject"))));
            }

            await roster.RemoveAsync(call, stationId, subject, ct);
            return new ApiResult(204, null);
        });

    /// <summary>The caller as the API sees them: person, global roles, and stations served at.</summary>
    [Function("WhoAmI")]
    public Task<IActionResult> Me(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me")] HttpRequest request) =>
        endpoint.RunAsync(request, (call, _) =>
        {
            call.Change = "read own identity";
            var caller = call.Caller;
            return Task.FromResult<IActionResult>(new ApiResult(200, new MeResource(
                PersonResource.From(caller.Person),
                [.. caller.Roles.Select(r => r.Name()).Order(StringComparer.Ordinal)],
                [.. caller.Memberships.Select(MemberResource.From)])));
        });
}

public sealed record MemberResource(string Station, string Id, string Name, string Role, string? Unit)
{
    public static MemberResource From(Membership m) => new(m.Station.Value, m.Person.Subject, m.Person.Name, m.Role.Name(), m.Unit);
}

public sealed record RosterResource(string Station, IReadOnlyList<MemberResource> Members);

public sealed record MeResource(PersonResource Person, IReadOnlyList<string> Roles, IReadOnlyList<MemberResource> Memberships);
