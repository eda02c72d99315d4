using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dispatch.Contracts;
using Dispatch.Core.Identity;
using Dispatch.Functions.Settings;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using NodaTime;

namespace Dispatch.Functions.Identity;

/// <summary>A bearer token that proved a person, or why it did not (RFC 6750 <c>invalid_token</c> and a description).</summary>
public sealed record TokenCheck(Person? Person, IReadOnlySet<GlobalRole> Roles, string? Error, string? Problem)
{
    public static TokenCheck Refused(string error, string problem) => new(null, new HashSet<GlobalRole>(), error, problem);
}

/// <summary>
/// Validates bearer tokens: signature, issuer, audience and lifetime (against the app's clock), signed tokens
/// only. Entra ID tokens when <c>DISPATCH_AUTH_AUTHORITY</c> is set (keys from the authority's OpenID
/// metadata); in development, also the local stack's own issuer.
/// </summary>
public sealed class TokenValidator
{
    /// <summary>
    /// The app role (infra/app-roles.json, for applications) an application's own token must carry. Any app in the
    /// tenant can get an app-only token for the API's audience; only one granted this role may call it as itself.
    /// </summary>
    public const string ApplicationRole = "integration";

    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly List<TokenValidationParameters> issuers = [];
    private readonly IClock clock;

    public TokenValidator(IOptions<DispatchSettings> options, IClock clock)
    {
        this.clock = clock;
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.AuthAuthority))
        {
            var authority = settings.AuthAuthority.TrimEnd('/');
            var metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
                $"{authority}/.well-known/openid-configuration",
                new OpenIdConnectConfigurationRetriever(),
                // Plain http only for an authority on this machine (tests); Entra is always https.
                new HttpDocumentRetriever { RequireHttps = !IsLoopback(authority) });
            issuers.Add(Parameters(authority, settings.AuthAudience!, ["RS256"], metadata: metadata));
        }

        if (settings.IsDevelopment && !string.IsNullOrWhiteSpace(settings.LocalKeyFile))
        {
            issuers.Add(Parameters(LocalTokens.Issuer, LocalTokens.Audience, ["HS256"], key: LocalTokens.Load(settings.LocalKeyFile).Key));
        }
    }

    /// <summary>Tokens remembered at most; past it, expired ones are let go, and if none has expired, all of them.</summary>
    private const int Capacity = 50_000;

    /// <summary>
    /// Tokens that proved a person, by the SHA-256 of the token, until they expire: the same token on the next request
    /// is the same answer without the signature checked again. Nothing the token says can change before it expires
    /// (its roles are in it; memberships are read apart, see <see cref="RememberedRoster"/>), and a bearer token cannot
    /// be withdrawn before then anyway. A token is remembered only once it has proved someone; refusals are not kept.
    /// </summary>
    private readonly ConcurrentDictionary<string, (TokenCheck Check, Instant Until)> proven = new(StringComparer.Ordinal);

    public async Task<TokenCheck> ValidateAsync(string? authorization)
    {
        var key = authorization is null ? null : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)));
        var now = clock.GetCurrentInstant();
        if (key is not null && proven.TryGetValue(key, out var remembered) && now < remembered.Until)
        {
            return remembered.Check;
        }

        var (check, expires) = await CheckAsync(authorization);
        if (key is not null && check.Person is not null && expires is { } exp)
        {
            if (proven.Count >= Capacity)
            {
                Forget(now);
            }

            // Valid while now - skew < exp, as the lifetime check below decides.
            proven[key] = (check, Instant.FromDateTimeUtc(DateTime.SpecifyKind(exp, DateTimeKind.Utc)) + Duration.FromTimeSpan(ClockSkew));
        }

        return check;
    }

    private void Forget(Instant now)
    {
        foreach (var expired in proven.Where(p => now >= p.Value.Until).Select(p => p.Key).ToList())
        {
            proven.TryRemove(expired, out _);
        }

        if (proven.Count >= Capacity)
        {
            proven.Clear();
        }
    }

    private async Task<(TokenCheck Check, DateTime? Expires)> CheckAsync(string? authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return (TokenCheck.Refused("", "No bearer token: send 'Authorization: Bearer <token>'."), null);
        }

        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return (TokenCheck.Refused("invalid_request", "The Authorization header must be 'Bearer <token>'."), null);
        }

        var token = authorization["Bearer ".Length..].Trim();
        string issuer;
        try
        {
            issuer = handler.ReadJsonWebToken(token).Issuer;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return (TokenCheck.Refused("invalid_token", "The bearer token is not a JWT."), null);
        }

        var parameters = issuers.FirstOrDefault(p => string.Equals(p.ValidIssuer, issuer, StringComparison.Ordinal)) ?? issuers.FirstOrDefault();
        if (parameters is null)
        {
            return (TokenCheck.Refused("invalid_token", "No token issuer is configured."), null);
        }

        var result = await handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return (TokenCheck.Refused("invalid_token", Describe(result.Exception)), null);
        }

        var identity = result.ClaimsIdentity;
        // Entra: a person's (delegated) token carries the scopes the person granted in 'scp'; an application's own
        // token has none, and 'idtyp' = app when the optional claim is on (Microsoft identity platform, access token claims).
        var entra = !string.Equals(parameters.ValidIssuer, LocalTokens.Issuer, StringComparison.Ordinal);
        var appOnly = identity.FindFirst("idtyp")?.Value == "app" || identity.FindFirst("scp") is null;
        if (entra && appOnly && !identity.FindAll("roles").Any(c => c.Value == ApplicationRole))
        {
            return (TokenCheck.Refused("invalid_token",
                $"The token is an application's own (no delegated scope): accepted only from an application granted the app role '{ApplicationRole}'."), null);
        }

        var subject = identity.FindFirst("oid")?.Value ?? identity.FindFirst("sub")?.Value;
        if (!Person.IsValidSubject(subject))
        {
            return (TokenCheck.Refused("invalid_token", $"The token names no usable subject ('oid' or 'sub' must be {Person.SubjectRule})."), null);
        }

        if (Person.IsReserved(subject!))
        {
            return (TokenCheck.Refused("invalid_token", $"The token names a reserved subject: {Person.ReservedRule}."), null);
        }

        var name = identity.FindFirst("name")?.Value ?? identity.FindFirst("preferred_username")?.Value ?? subject!;
        var roles = identity.FindAll("roles").Select(c => RoleNames.TryParse(c.Value, out GlobalRole role) ? role : (GlobalRole?)null)
            .OfType<GlobalRole>().ToHashSet();
        return (new TokenCheck(new Person(subject!, name.Length > Person.MaxNameLength ? name[..Person.MaxNameLength] : name), roles, null, null), result.SecurityToken.ValidTo);
    }

    private TokenValidationParameters Parameters(
        string issuer, string audience, string[] algorithms, ConfigurationManager<OpenIdConnectConfiguration>? metadata = null, SecurityKey? key = null) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = audience,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidAlgorithms = algorithms,
        IssuerSigningKey = key,
        ConfigurationManager = metadata,
        ClockSkew = ClockSkew,
        // Lifetime against the app's own clock, not the machine's: tests drive it with a FakeClock.
        LifetimeValidator = (notBefore, expires, _, _) =>
        {
            var now = clock.GetCurrentInstant().ToDateTimeUtc();
            if (notBefore is { } nbf && now + ClockSkew < nbf)
            {
                throw new SecurityTokenNotYetValidException($"The token is not valid before {nbf:O}.") { NotBefore = nbf };
            }

            if (expires is not { } exp)
            {
                throw new SecurityTokenNoExpirationException("The token has no expiry.");
            }

            return now - ClockSkew < exp ? true : throw new SecurityTokenExpiredException($"The token expired at {exp:O}.") { Expires = exp };
        },
    };

    /// <summary>What was wrong, in words; never the token itself.</summary>
    private static string Describe(Exception? e) => e switch
    {
        _ when e?.Message.Contains("IDX10504", StringComparison.Ordinal) == true => "The token is not signed.",
        SecurityTokenExpiredException expired => $"The token expired at {expired.Expires:O}.",
        SecurityTokenNotYetValidException early => $"The token is not valid before {early.NotBefore:O}.",
        SecurityTokenInvalidAudienceException => "The token is for another audience.",
        SecurityTokenInvalidIssuerException => "The token was issued by an issuer this API does not accept.",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature does not verify.",
        SecurityTokenInvalidAlgorithmException => "The token is signed with an algorithm this API does not accept.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenMalformedException => "The token is malformed.",
        _ => "The token is not valid.",
    };

    private static bool IsLoopback(string authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri) && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}
