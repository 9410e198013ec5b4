using static TorchSharp.torch;

namespace Lawcat.IO;

/// <summary>
/// The weights of a Hugging Face model folder: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c>. Headers are read eagerly (so corruption is found before any weight is
/// loaded); data is read tensor by tensor.
/// </summary>
public sealed class SafetensorsWeights
{
    readonly Dictionary<string, SafetensorsFile> _fileOf = new();

    /// <summary>Every tensor entry, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    /// <summary>The files the weights come from.</summary>
    public IReadOnlyList<string> Files { get; }

    SafetensorsWeights(IEnumerable<SafetensorsFile> files)
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
    public static SafetensorsWeights Open(string folder)
    {
        var single = Path.Combine(folder, "model.safetensors");
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index)) return new SafetensorsWeights(OpenShards(folder, index));
        if (File.Exists(single)) return new SafetensorsWeights(new[] { SafetensorsFile.Open(single) });
        throw new LawcatException($"{folder}: no model.safetensors or model.safetensors.index.json found (PyTorch .bin checkpoints are not supported; save with safe_serialization=True).");
    }

    /// <summary>
    /// Opens the shards that <paramref name="index"/> names, after checking every name: a string that resolves to a
    /// file inside <paramref name="folder"/> (names that leave it are refused before anything is opened, so the
    /// error reveals nothing about the file they point at).
    /// </summary>
    static IEnumerable<SafetensorsFile> OpenShards(string folder, string index)
    {
        var map = ShardIndex.Read(index);
        var shardOf = map.ToDictionary(kv => kv.Key, kv => ResolveShard(folder, index, kv.Key, kv.Value));
        var files = new Dictionary<string, SafetensorsFile>(PathComparer);
        foreach (var (name, path) in shardOf)
            if (!files.ContainsKey(path))
                files[path] = File.Exists(path) ? SafetensorsFile.Open(path)
                    : throw new LawcatException($"{index}: lists shard '{map[name]}', which is missing from {folder}.");
        foreach (var (name, shard) in map)
            if (!files[shardOf[name]].Entries.ContainsKey(name))
                throw new LawcatException($"{index}: says tensor '{name}' is in {shard}, but that file does not hold it.");
        return files.Values;
    }

    static StringComparer PathComparer => OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>
    /// The path of shard <paramref name="shard"/>, as <paramref name="folder"/> joined with the shard's normalized
    /// name, which must resolve to a file inside the folder. Only the name is checked (symbolic links inside the
    /// folder may point elsewhere, as in the Hugging Face cache).
    /// </summary>
    static string ResolveShard(string folder, string index, string tensor, string shard)
    {
        var refused = $"{index}: tensor '{tensor}' is in shard '{shard}', which is not a file inside the model folder; shard names must be relative names of files in {folder}.";
        if (shard.Length == 0 || Path.IsPathRooted(shard) || shard.Contains('\0')) throw new LawcatException(refused);
        string root, full;
        try
        {
            root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
            full = Path.GetFullPath(Path.Combine(root, shard));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { throw new LawcatException(refused); }
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!full.StartsWith(root, comparison) || full.Length == root.Length) throw new LawcatException(refused);
        return Path.Combine(folder, full[root.Length..]);
    }

    /// <summary>Reads one tensor as a CPU tensor of the file's dtype.</summary>
    public Tensor Read(string name) =>
        _fileOf.TryGetValue(name, out var f) ? f.Read(name) : throw new LawcatException($"no tensor named '{name}' in {string.Join(", ", Files)}.");
}
