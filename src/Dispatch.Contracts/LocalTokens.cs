using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatch.Core.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NodaTime;

namespace Dispatch.Contracts;

/// <summary>
/// The local stack's own token issuer, in the manner of <c>dotnet user-jwts</c>: a random HMAC key kept
/// outside the repository (.dispatch/signing-key.json, never committed), issuer <c>dispatch-local</c>.
/// Accepted only when the app runs in development. One library mints for everyone who signs in locally:
/// <c>./dispatch token</c>, <c>up</c>'s board links, the demo and the desk.
/// </summary>
public sealed class LocalTokens
{
    public const string Issuer = "dispatch-local";
    public const string Audience = "dispatch-api";

    /// <summary>Where the local signing key is kept: never committed (.dispatch/ is ignored).</summary>
    public static string KeyPath(string repoRoot) => Path.Combine(repoRoot, ".dispatch", "signing-key.json");

    private LocalTokens(byte[] key) => Key = new SymmetricSecurityKey(key) { KeyId = "local" };

    public SymmetricSecurityKey Key { get; }

    /// <summary>Reads the key file, or makes one (readable by its owner only) when it does not exist.</summary>
    public static LocalTokens LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Load(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var json = new JsonObject { ["issuer"] = Issuer, ["audience"] = Audience, ["key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }.ToJsonString();
        // Written aside and moved into place, so two processes starting at once never read half a file,
        // and the first one's key is the one both use.
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, json);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }

        return Load(path);
    }

    public static LocalTokens Load(string path)
    {
        try
        {
            var document = JsonNode.Parse(File.ReadAllText(path))!;
            return new LocalTokens(Convert.FromBase64String(document["key"]!.GetValue<string>()));
        }
        catch (Exception e) when (e is IOException or JsonException or FormatException or NullReferenceException or InvalidOperationException)
        {
            throw new InvalidOperationException($"The local signing key '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A token for <paramref name="person"/>, valid from <paramref name="now"/> for <paramref name="validFor"/>.</summary>
    public string Mint(Person person, IEnumerable<GlobalRole> roles, Instant now, Duration validFor) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.ToDateTimeUtc(),
            NotBefore = now.ToDateTimeUtc(),
            Expires = (now + validFor).ToDateTimeUtc(),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = person.Subject,
                ["oid"] = person.Subject,
                ["name"] = person.Name,
                ["roles"] = roles.Select(r => r.Name()).ToArray(),
            },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
}
