namespace Dispatch.Core.Identity;

/// <summary>What a person is at one station, from the station's roster.</summary>
public enum StationRole { Dispatcher, Officer, DutyOfficer, Chief }

/// <summary>What a person is everywhere, from the token's <c>roles</c> claim (Entra app roles).</summary>
public enum GlobalRole { Admin, Auditor, CommandCenter }

/// <summary>Role names as they appear on the wire, in tokens and in stored rows.</summary>
public static class RoleNames
{
    private static readonly Dictionary<StationRole, string> Station = new()
    {
        [StationRole.Dispatcher] = "dispatcher", [StationRole.Officer] = "officer",
        [StationRole.DutyOfficer] = "duty-officer", [StationRole.Chief] = "chief",
    };

    private static readonly Dictionary<GlobalRole, string> Global = new()
    {
        [GlobalRole.Admin] = "admin", [GlobalRole.Auditor] = "auditor", [GlobalRole.CommandCenter] = "command-center",
    };

    public static IEnumerable<string> StationRoles => Station.Values;

    public static IEnumerable<string> GlobalRoles => Global.Values;

    public static string Name(this StationRole role) => Station[role];

    public static string Name(this GlobalRole role) => Global[role];

    public static bool TryParse(string? text, out StationRole role) => TryFind(Station, text, out role);

    public static bool TryParse(string? text, out GlobalRole role) => TryFind(Global, text, out role);

    private static bool TryFind<T>(Dictionary<T, string> names, string? text, out T value)
        where T : struct
    {
        foreach (var (key, name) in names)
        {
            if (string.Equals(name, text, StringComparison.Ordinal))
            {
                value = key;
                return true;
            }
        }

        value = default;
        return false;
    }
}
