using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Lawcat.IO;

/// <summary>
/// The weights of a Hugging Face model folder: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c>. Headers are read eagerly (so corruption is found before any weight is
/// loaded); data is read tensor by tensor.
/// </summary>
public sealed class SafetensorsCheckpoint
{
    readonly Dictionary<string, SafetensorsFile> _fileOf = new();

    /// <summary>Every tensor entry, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>The files the weights come from.</summary>
    public IReadOnlyList<string> Files { get; }

    SafetensorsCheckpoint(IEnumerable<SafetensorsFile> files)
    {
        var entries = new Dictionary<string, SafetensorsEntry>();
        foreach (var f in files)
            foreach (var (name, e) in f.Entries)
            {
                if (_fileOf.TryGetValue(name, out var other))
                    throw new LawcatException($"{f.Path}: tensor '{name}' also appears in {other.Path}.");
                _fileOf[name] = f;
                entries[name] = e;
            }
        Entries = entries;
        Files = _fileOf.Values.Select(f => f.Path).Distinct().ToList();
    }

    /// <summary>Opens the weights of <paramref name="folder"/>.</summary>
    public static SafetensorsCheckpoint Open(string folder)
    {
        var single = Path.Combine(folder, "model.safetensors");
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index)) return new SafetensorsCheckpoint(OpenShards(folder, index));
        if (File.Exists(single)) return new SafetensorsCheckpoint(new[] { SafetensorsFile.Open(single) });
        throw new LawcatException($"{folder}: no model.safetensors or model.safetensors.index.json found (PyTorch .bin checkpoints are not supported; save with safe_serialization=True).");
    }

    static IEnumerable<SafetensorsFile> OpenShards(string folder, string index)
    {
        JsonObject map;
        try { map = JsonNode.Parse(File.ReadAllText(index))!["weight_map"]!.AsObject(); }
        catch (Exception e) { throw new LawcatException($"{index}: expected a JSON object with a 'weight_map' of tensor name to shard file: {e.Message}"); }
        var shards = map.Select(kv => kv.Value!.GetValue<string>()).Distinct().ToList();
        var files = shards.Select(s =>
        {
            var p = Path.Combine(folder, s);
            if (!File.Exists(p)) throw new LawcatException($"{index}: lists shard '{s}', which is missing from {folder}.");
            return SafetensorsFile.Open(p);
        }).ToList();
        foreach (var (name, shard) in map)
        {
            var f = files.First(x => Path.GetFileName(x.Path) == shard!.GetValue<string>());
            if (!f.Entries.ContainsKey(name))
                throw new LawcatException($"{index}: says tensor '{name}' is in {shard}, but that file does not hold it.");
        }
        return files;
    }

    /// <summary>Reads one tensor as a CPU tensor of the file's dtype.</summary>
    public Tensor Read(string name) =>
        _fileOf.TryGetValue(name, out var f) ? f.Read(name) : throw new LawcatException($"no tensor named '{name}' in {string.Join(", ", Files)}.");
}
