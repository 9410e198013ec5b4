using System.Text.Json.Nodes;
using Lawcat.Training;

namespace Lawcat.Distillation;

/// <summary>
/// The <c>lawcat distill</c> command line that runs the same options as a <see cref="DistillOptions"/> record built in
/// code: <c>--teacher</c> when the record names one, and one <c>--set key=value</c> for every option that differs from
/// the preset the command starts from (<see cref="DistillOptions.Tiny"/> without a teacher,
/// <see cref="DistillOptions.Paper"/> with one).
/// </summary>
public static class DistillCommandLine
{
    /// <summary>The arguments after <c>lawcat distill</c>, unquoted (one list element per argument).</summary>
    public static List<string> Arguments(DistillOptions options)
    {
        var preset = options.Teacher is null ? DistillOptions.Tiny : DistillOptions.Paper;
        var args = new List<string>();
        if (options.Teacher is not null) args.AddRange(new[] { "--teacher", options.Teacher });
        var from = OptionsIO.ToJson(preset with { Teacher = options.Teacher });
        foreach (var set in Sets(from, OptionsIO.ToJson(options), ""))
            args.AddRange(new[] { "--set", set });
        return args;
    }

    /// <summary>The whole command as one line, quoted for a POSIX shell where needed.</summary>
    public static string Format(DistillOptions options) =>
        "lawcat distill " + string.Join(" ", Arguments(options).Select(Quote));

    static IEnumerable<string> Sets(JsonNode? from, JsonNode? to, string prefix)
    {
        if (from is JsonObject a && to is JsonObject b)
        {
            foreach (var key in a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)).OrderBy(k => k, StringComparer.Ordinal))
                foreach (var set in Sets(a[key], b[key], prefix.Length == 0 ? key : $"{prefix}.{key}"))
                    yield return set;
        }
        else if (!JsonNode.DeepEquals(from, to))
            yield return $"{prefix}={Value(to)}";
    }

    // Strings go bare when they cannot be read as another JSON value, as a person would type them; the CLI reads them back as strings.
    static string Value(JsonNode? v) =>
        v is JsonValue s && s.TryGetValue<string>(out var text) && !LooksLikeJson(text) ? text : v?.ToJsonString() ?? "null";

    static bool LooksLikeJson(string text)
    {
        try { JsonNode.Parse(text); return true; }
        catch (System.Text.Json.JsonException) { return false; }
    }

    static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_.=,:/@+".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
