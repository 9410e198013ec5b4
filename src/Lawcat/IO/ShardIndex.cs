using System.Text.Json;

namespace Lawcat.IO;

/// <summary>The <c>weight_map</c> of a <c>model.safetensors.index.json</c>: which shard file holds each tensor.</summary>
static class ShardIndex
{
    const string Expected = "expected a JSON object with a 'weight_map' object of tensor name to shard file name";

    /// <summary>Reads the weight map of <paramref name="index"/>, refusing duplicate keys and values that are not strings.</summary>
    public static Dictionary<string, string> Read(string index)
    {
        using var doc = Parse(index);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new LawcatException($"{index}: {Expected}.");
        JsonElement? weightMap = null;
        foreach (var p in UniqueProperties(doc.RootElement, index, "the top level"))
            if (p.Name == "weight_map") weightMap = p.Value;
        if (weightMap is not { ValueKind: JsonValueKind.Object } map) throw new LawcatException($"{index}: {Expected}.");
        var shards = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in UniqueProperties(map, index, "weight_map"))
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw new LawcatException($"{index}: weight_map value for tensor '{p.Name}' is {Excerpt(p.Value)}; expected a shard file name (a string).");
            shards[p.Name] = p.Value.GetString()!;
        }
        return shards;
    }

    static JsonDocument Parse(string index)
    {
        var bytes = File.ReadAllBytes(index);
        StrictUtf8.Check(bytes, index);
        try { return JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new LawcatException($"{index}: not valid JSON ({Expected}): {e.Message}", e); }
    }

    static IEnumerable<JsonProperty> UniqueProperties(JsonElement o, string index, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in o.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw new LawcatException($"{index}: the key '{p.Name}' appears twice in {where}.");
            yield return p;
        }
    }

    static string Excerpt(JsonElement node)
    {
        var raw = node.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "...";
    }
}
