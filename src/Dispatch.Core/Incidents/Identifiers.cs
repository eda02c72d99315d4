using System.Security.Cryptography;
using System.Text.RegularExpressions;
using NodaTime;

namespace Dispatch.Core.Incidents;

/// <summary>A police station's code, e.g. <c>beilin-01</c>. Case-insensitive; kept in lower case.</summary>
/// <remarks>
/// <c>default(StationId)</c> names no station: reading its <see cref="Value"/> throws, as using a default
/// <c>ImmutableArray</c> does, so a station that was never parsed cannot reach a key or a message.
/// Make one with <see cref="Parse"/> or <see cref="TryParse"/>.
/// </remarks>
public readonly partial record struct StationId
{
    public const int MaxLength = 32;

    private readonly string? value;

    private StationId(string value) => this.value = value;

    /// <exception cref="InvalidOperationException">This is <c>default(StationId)</c>.</exception>
    public string Value => value ?? throw new InvalidOperationException("default(StationId) names no station: make one with StationId.Parse or TryParse.");

    public static bool TryParse(string? text, out StationId station)
    {
        station = default;
        if (text is null || !Pattern().IsMatch(text))
        {
            return false;
        }

        station = new StationId(text.ToLowerInvariant());
        return true;
    }

    public static StationId Parse(string text) =>
        TryParse(text, out var station) ? station : throw new FormatException($"'{text}' is not a station code.");

    /// <summary>The code; <c>default(StationId)</c> for the default value, which names no station.</summary>
    public override string ToString() => value ?? "default(StationId)";

    public const string Rule = "1-32 letters, digits or '-', starting with a letter or digit";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")]
    private static partial Regex Pattern();
}

/// <summary>
/// An incident's id: its station and a ULID (<c>beilin-01.01JD8Z6Q3W4V5X6Y7Z8A9B0C1D</c>).
/// </summary>
/// <remarks>
/// The station is part of the id so that a point read finds the incident's partition without a lookup
/// table; the ULID sorts by report time, which keeps ids readable in logs. <c>default(IncidentId)</c> names
/// no incident: reading its <see cref="Value"/> (or its station's) throws, as for <see cref="StationId"/>.
/// </remarks>
public readonly record struct IncidentId
{
    private const int UlidLength = 26;
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private readonly string? value;

    public StationId Station { get; }

    /// <exception cref="InvalidOperationException">This is <c>default(IncidentId)</c>.</exception>
    public string Value => value ?? throw new InvalidOperationException("default(IncidentId) names no incident: make one with IncidentId.New, Parse or TryParse.");

    private IncidentId(StationId station, string value)
    {
        Station = station;
        this.value = value;
    }

    public static IncidentId New(StationId station, Instant reportedAt)
    {
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        return new IncidentId(station, $"{station.Value}.{EncodeUlid(reportedAt.ToUnixTimeMilliseconds(), random)}");
    }

    public static bool TryParse(string? text, out IncidentId id)
    {
        id = default;
        if (text is null)
        {
            return false;
        }

        var dot = text.LastIndexOf('.');
        if (dot <= 0 || text.Length - dot - 1 != UlidLength)
        {
            return false;
        }

        if (!StationId.TryParse(text[..dot], out var station) || !text.AsSpan(dot + 1).ContainsOnlyCrockford())
        {
            return false;
        }

        id = new IncidentId(station, $"{station.Value}.{text[(dot + 1)..].ToUpperInvariant()}");
        return true;
    }

    public static IncidentId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not an incident id.");

    /// <summary>The id; <c>default(IncidentId)</c> for the default value, which names no incident.</summary>
    public override string ToString() => value ?? "default(IncidentId)";

    /// <summary>The instant the id was made (the report instant, to the millisecond), read back from the ULID.</summary>
    public Instant Timestamp
    {
        get
        {
            long milliseconds = 0;
            foreach (var c in Value.AsSpan(Value.Length - UlidLength, 10))
            {
                milliseconds = (milliseconds << 5) | (long)Crockford.IndexOf(c, StringComparison.Ordinal);
            }

            return Instant.FromUnixTimeMilliseconds(milliseconds);
        }
    }

    private static string EncodeUlid(long milliseconds, ReadOnlySpan<byte> random)
    {
        Span<char> chars = stackalloc char[UlidLength];
        // 48-bit timestamp in the first 10 characters, big-endian, 5 bits a character.
        for (var i = 9; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(milliseconds & 31)];
            milliseconds >>= 5;
        }

        // 80 random bits in the remaining 16 characters.
        var bits = new System.Numerics.BigInteger(random, isUnsigned: true, isBigEndian: true);
        for (var i = UlidLength - 1; i >= 10; i--)
        {
            chars[i] = Crockford[(int)(bits & 31)];
            bits >>= 5;
        }

        return new string(chars);
    }

    internal static bool IsCrockford(char c) => Crockford.Contains(char.ToUpperInvariant(c), StringComparison.Ordinal);
}

internal static class CrockfordExtensions
{
    public static bool ContainsOnlyCrockford(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!IncidentId.IsCrockford(c))
            {
                return false;
            }
        }

        return true;
    }
}
