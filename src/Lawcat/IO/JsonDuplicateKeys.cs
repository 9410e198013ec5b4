using System.Text.Json;

namespace Lawcat.IO;

/// <summary>
/// Finds keys written twice in one JSON object. JSON parsers disagree on which copy wins, so a file that has one
/// means two things at once and is refused rather than read one way.
/// </summary>
public static class JsonDuplicateKeys
{
    /// <summary>The dotted path of the first key that appears twice in its object (at any depth), or null.</summary>
    public static string? First(JsonElement node, string path = "")
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var x in node.EnumerateArray())
                if (First(x, $"{path}[{i++}]") is { } found) return found;
            return null;
        }
        if (node.ValueKind != JsonValueKind.Object) return null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in node.EnumerateObject())
        {
            var keyPath = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
            if (!seen.Add(p.Name)) return keyPath;
            if (First(p.Value, keyPath) is { } found) return found;
        }
        return null;
    }
}
