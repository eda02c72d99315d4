namespace Dispatch.Core.Identity;

/// <summary>What a person is at one station, from the station's roster.</summary>
public enum StationRole { Dispatcher, Officer, DutyOfficer, Chief }

/// <summary>What a person is everywhere, from the token's <c>roles</c> claim (Entra app roles).</summary>
public enum GlobalRole { Admin, Auditor, CommandCenter }

/// <summary>
/// Role names as they appear on the wire, in tokens and in stored rows. Matched exactly: a token's
/// <c>roles</c> claim carries Entra app role values, which are case-sensitive, and the roster uses the same names.
/// </summary>
public static class RoleNames
{
    private static readonly NameTable<StationRole> Station = new(StringComparison.Ordinal, new Dictionary<StationRole, string>
    {
        [StationRole.Dispatcher] = "dispatcher", [StationRole.Officer] = "officer",
        [StationRole.DutyOfficer] = "duty-officer", [StationRole.Chief] = "chief",
    });

    private static readonly NameTable<GlobalRole> Global = new(StringComparison.Ordinal, new Dictionary<GlobalRole, string>
    {
        [GlobalRole.Admin] = "admin", [GlobalRole.Auditor] = "auditor", [GlobalRole.CommandCenter] = "command-center",
    });

    public static IEnumerable<string> StationRoles => Station.Names;

    public static IEnumerable<string> GlobalRoles => Global.Names;

    public static string Name(this StationRole role) => Station.Name(role);

    public static string Name(this GlobalRole role) => Global.Name(role);

    public static bool TryParse(string? text, out StationRole role) => Station.TryParse(text, out role);

    public static bool TryParse(string? text, out GlobalRole role) => Global.TryParse(text, out role);
}
