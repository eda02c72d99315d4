using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dispatch.Testing;

/// <summary>
/// An OpenID Connect authority on loopback, as Entra ID serves one: its metadata document and a JWKS with an
/// RSA key, so the app's Entra path (keys fetched from the authority) is tested over real HTTP.
/// </summary>
public sealed class OidcAuthority : IAsyncDisposable
{
    private static readonly string[] Algorithms = ["RS256"];
    private readonly WebApplication app;
    private readonly RsaSecurityKey key;

    private OidcAuthority(WebApplication app, RsaSecurityKey key, string issuer)
    {
        this.app = app;
        this.key = key;
        Issuer = issuer;
    }

    /// <summary>Like <c>https://login.microsoftonline.com/{tenant}/v2.0</c>, on http://127.0.0.1.</summary>
    public string Issuer { get; }

    public static async Task<OidcAuthority> StartAsync()
    {
        var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "test-key-1" };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        string? issuer = null;
        app.MapGet("/tenant/v2.0/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer!,
            ["jwks_uri"] = $"{issuer}/keys",
            ["id_token_signing_alg_values_supported"] = Algorithms,
        }));
        app.MapGet("/tenant/v2.0/keys", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        await app.StartAsync();
        issuer = $"{app.Urls.First()}/tenant/v2.0";
        return new OidcAuthority(app, key, issuer);
    }

    /// <summary>A person's access token as Entra issues one: <c>oid</c>, <c>name</c>, the delegated scope in <c>scp</c>, app <c>roles</c>.</summary>
    public string Issue(string audience, string oid, string name, DateTime now, params string[] roles) =>
        Sign(audience, now, new Dictionary<string, object>
        {
            ["oid"] = oid, ["sub"] = "pairwise-" + oid, ["name"] = name, ["roles"] = roles, ["tid"] = "tenant", ["scp"] = "access_as_user", ["idtyp"] = "user",
        });

    /// <summary>An application's own token (client credentials): no <c>scp</c>, <c>idtyp</c> = app, the app roles granted to it.</summary>
    public string IssueAppOnly(string audience, string oid, DateTime now, params string[] roles) =>
        Sign(audience, now, new Dictionary<string, object>
        {
            ["oid"] = oid, ["sub"] = oid, ["azp"] = "some-client-app", ["roles"] = roles, ["tid"] = "tenant", ["idtyp"] = "app",
        });

    private string Sign(string audience, DateTime now, Dictionary<string, object> claims) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
