using System.Globalization;

namespace Lawcat.Evaluation;

/// <summary>RULER's needle keys and values (<c>niah.py</c>: <c>words</c>, <c>numbers</c>, <c>uuids</c>).</summary>
public static class RulerValues
{
    /// <summary>An "adjective-noun" key, uniform over all pairs of <see cref="WordLists"/> (e.g. "hollow-harbor").</summary>
    public static string Key(SeededRandom rng) => $"{rng.Pick(WordLists.Adjectives)}-{rng.Pick(WordLists.Nouns)}";

    /// <summary>A 7-digit number, uniform in 1000000..9999999.</summary>
    public static string Number(SeededRandom rng) =>
        rng.NextInclusive(1_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A random version-4 UUID in lowercase 8-4-4-4-12 form, as Python's <c>uuid.UUID(int=getrandbits(128), version=4)</c>
    /// makes it: 122 random bits, the version nibble set to 4 and the RFC 4122 variant bits to 10.
    /// </summary>
    public static string Uuid(SeededRandom rng)
    {
        var bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), rng.NextUInt64());
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 8), rng.NextUInt64());
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
