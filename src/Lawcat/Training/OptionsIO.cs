using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lawcat.Training;

/// <summary>
/// Reads, writes and overrides option records (<c>DistillOptions</c>, <see cref="PretrainOptions"/>) as JSON or YAML
/// with snake_case keys. Unknown keys and wrong types are errors that name the key.
/// </summary>
public static class OptionsIO
{
    /// <summary>The JSON settings used for options everywhere (files, checkpoints, comparisons).</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The options as a JSON tree.</summary>
    public static JsonObject ToJson<T>(T o) => JsonSerializer.SerializeToNode(o, Json)!.AsObject();

    /// <summary>Options from a JSON tree; <paramref name="source"/> names it in errors.</summary>
    public static T FromJson<T>(JsonObject node, string source)
    {
        T options;
        try { options = node.Deserialize<T>(Json)!; }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) ? "" : $" at '{e.Path.TrimStart('$', '.')}'";
            throw new LawcatException($"{source}: invalid options{where}: {Explain(e)}");
        }
        if (NonFinite(options, "") is { } bad)
            throw new LawcatException($"{source}: option {bad.Key}: expected a finite number, got {bad.Value.ToString(CultureInfo.InvariantCulture)}.");
        return options;
    }

    /// <summary>
    /// The first number of <paramref name="options"/> (at any depth) that is NaN or infinite, with its dotted key. The
    /// JSON reader takes "NaN" and "Infinity" for numbers, and no range check rejects them (NaN compares false).
    /// </summary>
    static (string Key, double Value)? NonFinite(object? options, string prefix)
    {
        if (options is null) return null;
        foreach (var p in options.GetType().GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length > 0) continue;
            var key = prefix + JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);
            var value = p.GetValue(options);
            switch (value)
            {
                case double d when !double.IsFinite(d): return (key, d);
                case double[] list:
                    foreach (var x in list)
                        if (!double.IsFinite(x)) return (key, x);
                    break;
                case not null when p.PropertyType.IsClass && p.PropertyType != typeof(string) && !p.PropertyType.IsArray && p.PropertyType.Namespace?.StartsWith("Lawcat", StringComparison.Ordinal) == true:
                    if (NonFinite(value, key + ".") is { } found) return found;
                    break;
            }
        }
        return null;
    }

    static string Explain(JsonException e) =>
        e.Message.Contains("could not be mapped") ? "unknown key (see `--print-options` for the valid ones)" : e.Message.Split(" Path:")[0];

    /// <summary>Reads a .json, .yaml or .yml file as a JSON tree.</summary>
    public static JsonObject ReadFile(string path)
    {
        if (!File.Exists(path)) throw new LawcatException($"{path}: options file not found.");
        var text = File.ReadAllText(path);
        try
        {
            if (path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(text));
                return stream.Documents.Count == 0 ? new JsonObject() : YamlToJson(stream.Documents[0].RootNode) as JsonObject
                    ?? throw new LawcatException($"{path}: expected a mapping of option keys at the top level.");
            }
            return JsonNode.Parse(text)!.AsObject();
        }
        catch (Exception e) when (e is not LawcatException) { throw new LawcatException($"{path}: not a valid options file: {e.Message}"); }
    }

    /// <summary>YAML to JSON; plain scalars become numbers, booleans or null when they read as such, quoted ones stay strings.</summary>
    static JsonNode? YamlToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, YamlToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(YamlToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } sc => PlainScalar(sc.Value ?? ""),
        YamlScalarNode sc => JsonValue.Create(sc.Value),
        _ => null,
    };

    static JsonNode? PlainScalar(string v) =>
        v is "null" or "~" or "" ? null
        : v is "true" or "false" ? JsonValue.Create(v == "true")
        : long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l)
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d)
        : JsonValue.Create(v);

    /// <summary>Overlays <paramref name="overlay"/> on <paramref name="baseNode"/> key by key (nested objects merge, the rest replaces).</summary>
    public static JsonObject Merge(JsonObject baseNode, JsonObject overlay)
    {
        var result = baseNode.DeepClone().AsObject();
        foreach (var (key, value) in overlay)
            result[key] = value is JsonObject o && result[key] is JsonObject b ? Merge(b, o) : value?.DeepClone();
        return result;
    }

    /// <summary>
    /// Applies <c>key.path=value</c> settings. The value is read as JSON when it parses (numbers, true/false,
    /// [lists], null), else as a string. The path must name an existing option.
    /// </summary>
    public static JsonObject ApplySets(JsonObject node, IEnumerable<string> sets)
    {
        var result = node.DeepClone().AsObject();
        foreach (var set in sets)
        {
            int eq = set.IndexOf('=');
            if (eq <= 0) throw new LawcatException($"--set '{set}': expected key.path=value.");
            var path = set[..eq].Trim().Split('.');
            var raw = set[(eq + 1)..];
            JsonObject parent = result;
            for (int i = 0; i < path.Length - 1; i++)
                parent = parent[path[i]] as JsonObject ?? throw new LawcatException($"--set '{set}': '{string.Join('.', path[..(i + 1)])}' is not an option group.");
            if (!parent.ContainsKey(path[^1]))
            {
                var prefix = string.Concat(path[..^1].Select(p => p + "."));
                var closest = Closest(path[^1], parent.Select(kv => kv.Key));
                throw new LawcatException($"--set '{set}': unknown option '{set[..eq]}'" + (closest is null ? "" : $"; did you mean '{prefix}{closest}'?") +
                    $" Known here: {string.Join(", ", parent.Select(kv => kv.Key))}.");
            }
            parent[path[^1]] = ParseValue(raw);
        }
        return result;
    }

    /// <summary>
    /// The name in <paramref name="valid"/> closest to <paramref name="given"/> by edit distance (a misspelling: at most
    /// 2 edits, or a third of the name's length), or null when none is that close.
    /// </summary>
    public static string? Closest(string given, IEnumerable<string> valid)
    {
        var best = valid.Select(v => (Name: v, Distance: EditDistance(given, v)))
            .OrderBy(v => v.Distance).ThenBy(v => v.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, given.Length / 3) ? best.Name : null;
    }

    /// <summary>Levenshtein distance: inserting, deleting or replacing one character costs 1.</summary>
    public static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    static JsonNode? ParseValue(string raw)
    {
        try { return JsonNode.Parse(raw); }
        catch (JsonException) { return JsonValue.Create(raw); }
    }

    /// <summary>The keys (dotted paths) whose values differ between two option trees.</summary>
    public static List<string> Differences(JsonNode? a, JsonNode? b, string prefix = "")
    {
        if (a is JsonObject oa && b is JsonObject ob)
            return oa.Select(kv => kv.Key).Union(ob.Select(kv => kv.Key)).OrderBy(k => k, StringComparer.Ordinal)
                .SelectMany(k => Differences(oa[k], ob[k], prefix == "" ? k : $"{prefix}.{k}")).ToList();
        return JsonNode.DeepEquals(a, b) ? new List<string>() : new List<string> { $"{prefix}: {a?.ToJsonString() ?? "null"} → {b?.ToJsonString() ?? "null"}" };
    }
}
