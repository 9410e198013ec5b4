using System.Text.Json.Nodes;
using Lawcat.Distillation;
using Lawcat.Training;

namespace Lawcat.Ablation;

/// <summary>One arm of an ablation grid.</summary>
/// <param name="Name">The variant's name in tables and legends.</param>
/// <param name="Sets">The settings that make it differ from the grid's base (<c>key.path=value</c>, as <c>lawcat distill --set</c> takes them).</param>
/// <param name="Options">The complete options its distillation runs with.</param>
public sealed record GridVariant(string Name, IReadOnlyList<string> Sets, DistillOptions Options)
{
    /// <summary>The variant's folder name: its name in lower case with every other character than letters and digits as '-'.</summary>
    public string Slug => string.Concat(Name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')).Trim('-');
}

/// <summary>
/// An ablation grid: named variants of one distillation, each one switch away from the first (the default), that
/// <see cref="AblationRunner"/> runs into one folder each and <see cref="AblationReport"/> compares on identical
/// evaluation samples. A grid file (YAML or JSON) holds <c>base</c>, options over the preset in the format of
/// <c>lawcat distill --config</c> (the main job's preset without a <c>teacher</c>, the reference recipe with one), and
/// <c>variants</c>, a mapping from each name to its settings (dotted option keys to values, as <c>--set</c> takes them).
/// Only the default evaluates the teacher: the samples are the same for every variant, so once is enough.
/// </summary>
public sealed record AblationGrid(string Source, IReadOnlyList<GridVariant> Variants)
{
    /// <summary>The variant every other one is compared with (the first).</summary>
    public GridVariant Default => Variants[0];

    /// <summary>
    /// Reads a grid file; <paramref name="sets"/> (<c>key.path=value</c>) apply to every variant after the file's base
    /// and before each variant's own settings (e.g. <c>device=cuda</c>, or smaller steps for a trial).
    /// </summary>
    public static AblationGrid Load(string path, IEnumerable<string>? sets = null)
    {
        var root = OptionsIO.ReadFile(path);
        foreach (var key in root.Select(kv => kv.Key))
            if (key is not ("base" or "variants")) throw new LawcatException($"{path}: unknown key '{key}'; a grid has 'base' (options) and 'variants' (name → settings).");
        var baseNode = root["base"] switch
        {
            null => new JsonObject(),
            JsonObject o => o,
            _ => throw new LawcatException($"{path}: 'base' must be a mapping of options (as in a lawcat distill --config file)."),
        };
        if (root["variants"] is not JsonObject variants || variants.Count == 0)
            throw new LawcatException($"{path}: 'variants' must be a mapping from each variant's name to its settings, with at least one variant (the first is the default).");
        var list = new List<(string, IReadOnlyList<string>)>();
        foreach (var (name, value) in variants)
        {
            if (value is not (null or JsonObject)) throw new LawcatException($"{path}: variant '{name}': expected a mapping of option keys to values (e.g. lawcat.conv_kernel_size: 2), or {{}}.");
            list.Add((name, (value as JsonObject ?? new JsonObject()).Select(kv => $"{kv.Key}={kv.Value?.ToJsonString() ?? "null"}").ToList()));
        }
        return Create(path, baseNode, sets ?? Array.Empty<string>(), list);
    }

    /// <summary>A grid over <paramref name="baseOptions"/> (e.g. built in a notebook) with the variants' settings.</summary>
    public static AblationGrid FromOptions(DistillOptions baseOptions, IEnumerable<(string Name, IReadOnlyList<string> Sets)> variants, string source = "grid") =>
        Create(source, OptionsIO.ToJson(baseOptions), Array.Empty<string>(), variants.ToList());

    static AblationGrid Create(string source, JsonObject baseNode, IEnumerable<string> sets, IReadOnlyList<(string Name, IReadOnlyList<string> Sets)> variants)
    {
        var preset = baseNode["teacher"] is JsonValue ? DistillOptions.Paper : DistillOptions.Tiny;
        var common = OptionsIO.Merge(OptionsIO.ToJson(preset), baseNode);
        try { common = OptionsIO.ApplySets(common, sets); }
        catch (LawcatException e) { throw new LawcatException($"{source}: {e.Message}"); }
        var built = new List<GridVariant>();
        foreach (var (name, variantSets) in variants)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new LawcatException($"{source}: a variant has an empty name.");
            JsonObject json;
            try { json = OptionsIO.ApplySets(common, variantSets); }
            catch (LawcatException e) { throw new LawcatException($"{source}: variant '{name}': {e.Message}"); }
            // Only the default evaluates the teacher; every variant is evaluated on the same samples.
            if (json["passkey_eval"] is JsonObject eval) eval["teacher"] = built.Count == 0;
            DistillOptions options;
            try { options = DistillOptions.FromJson(json, $"{source}: variant '{name}'"); }
            catch (LawcatException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal)) { throw new LawcatException($"{source}: variant '{name}': {e.Message}"); }
            var variant = new GridVariant(name, variantSets, options);
            if (variant.Slug.Length == 0) throw new LawcatException($"{source}: variant '{name}': the name needs a letter or digit (it names the variant's folder).");
            if (built.FirstOrDefault(v => v.Slug == variant.Slug) is { } twin)
                throw new LawcatException($"{source}: variants '{twin.Name}' and '{name}' would share the folder '{variant.Slug}'; rename one.");
            built.Add(variant);
        }
        return new AblationGrid(source, built);
    }

}
