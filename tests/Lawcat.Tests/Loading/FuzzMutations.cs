using System.Text;
using System.Text.Json.Nodes;

namespace Lawcat.Tests.Loading;

/// <summary>Seeded mutations of files and JSON documents for the loading fuzz tests.</summary>
sealed class FuzzMutations(int seed)
{
    readonly Random random = new(seed);

    /// <summary>A random integer in [min, max).</summary>
    public int Next(int min, int max) => random.Next(min, max);

    /// <summary>A random element of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A copy of <paramref name="bytes"/> with 1 to 4 bits flipped in [from, bytes.Length).</summary>
    public byte[] FlipBits(byte[] bytes, int from = 0)
    {
        var copy = (byte[])bytes.Clone();
        for (int n = random.Next(1, 5); n > 0; n--) copy[random.Next(from, copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    /// <summary>The first 0 to length - 1 bytes.</summary>
    public byte[] Truncate(byte[] bytes) => bytes[..random.Next(bytes.Length)];

    /// <summary><paramref name="bytes"/> followed by 1 to 16 random bytes.</summary>
    public byte[] Append(byte[] bytes)
    {
        var extra = new byte[random.Next(1, 17)];
        random.NextBytes(extra);
        return bytes.Concat(extra).ToArray();
    }

    /// <summary>A JSON value of a random kind, biased towards the edges of the integers and odd numbers.</summary>
    public JsonNode? Value() => random.Next(16) switch
    {
        0 => null,
        1 => JsonValue.Create(-random.Next(1, 1000)),
        2 => JsonValue.Create(0),
        3 => JsonValue.Create(long.MaxValue),
        4 => JsonValue.Create(1L << random.Next(20, 63)),
        5 => JsonValue.Create(random.NextDouble() * 10 - 5),
        6 => JsonValue.Create(Pick(new[] { "NaN", "Infinity", "-Infinity", "1e400", "-0" })),
        7 => JsonValue.Create("text"),
        8 => JsonValue.Create(random.Next(2) == 0),
        9 => new JsonArray(JsonValue.Create(random.Next(-3, 9)), JsonValue.Create(random.Next(0, 64))),
        10 => new JsonArray(),
        11 => new JsonObject { ["x"] = 1 },
        12 => JsonValue.Create(1e300),
        13 => JsonValue.Create(random.Next(1, 5000)),
        14 => JsonValue.Create(Pick(new[] { "F32", "BF16", "F16", "I64", "U8", "U16", "F4", "F8_E4M3", "C64", "BOOL", "Q4", "" })),
        _ => JsonValue.Create(random.Next(0, 64)),
    };

    /// <summary>
    /// <paramref name="json"/> with the first <c>"key":</c> written a second time just before it, with
    /// <paramref name="value"/>; unchanged when the key does not occur.
    /// </summary>
    public static string DuplicateKey(string json, string key, JsonNode? value)
    {
        var quoted = $"\"{key}\":";
        int at = json.IndexOf(quoted, StringComparison.Ordinal);
        return at < 0 ? json : json.Insert(at, $"{quoted}{value?.ToJsonString() ?? "null"},");
    }

    /// <summary>UTF-8 bytes of <paramref name="text"/>.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
