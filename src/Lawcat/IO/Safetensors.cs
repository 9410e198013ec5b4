using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.IO;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's key.</param>
/// <param name="DType">The safetensors dtype string (F32, BF16, ...).</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="Begin">First byte, relative to the start of the data section.</param>
/// <param name="End">One past the last byte, relative to the start of the data section.</param>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw data) directly,
/// so that every malformed or truncated file is reported by name instead of crashing in native code.
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>The file's path.</summary>
    public string Path { get; }
    /// <summary>The tensors in the file, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    /// <summary>The optional string-to-string metadata of the header.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    readonly long _dataStart;

    SafetensorsFile(string path, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
        _dataStart = dataStart;
    }

    /// <summary>Reads and validates the header of <paramref name="path"/>; tensor data is read on demand.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new LawcatException($"{path}: file not found.");
        using var fs = File.OpenRead(path);
        long size = fs.Length;
        if (size < 8) throw new LawcatException($"{path}: not a safetensors file: {size} bytes, shorter than the 8-byte header length.");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        long headerLen = BitConverter.ToInt64(lenBytes);
        if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > size)
            throw new LawcatException($"{path}: corrupt or truncated safetensors file: header length {headerLen} does not fit a file of {size} bytes.");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        JsonObject root;
        try { root = JsonNode.Parse(header)!.AsObject(); }
        catch (Exception e) { throw new LawcatException($"{path}: corrupt safetensors header (not valid JSON): {e.Message}"); }

        long dataStart = 8 + headerLen, dataSize = size - dataStart;
        var entries = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.ToString() ?? "";
                continue;
            }
            var entry = ParseEntry(path, name, node);
            if (entry.End > dataSize)
                throw new LawcatException($"{path}: truncated: tensor '{name}' ends at data byte {entry.End} but the file holds only {dataSize} data bytes.");
            entries[name] = entry;
        }
        return new SafetensorsFile(path, entries, metadata, dataStart);
    }

    static SafetensorsEntry ParseEntry(string path, string name, JsonNode? node)
    {
        try
        {
            var o = node!.AsObject();
            var dtype = o["dtype"]!.GetValue<string>();
            var shape = o["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var offs = o["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0]) throw new FormatException("bad data_offsets");
            long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
            if (offs[1] - offs[0] != expected)
                throw new FormatException($"data_offsets span {offs[1] - offs[0]} bytes but dtype {dtype} and shape [{string.Join(", ", shape)}] need {expected}");
            return new SafetensorsEntry(name, dtype, shape, offs[0], offs[1]);
        }
        catch (LawcatException) { throw; }
        catch (Exception e) { throw new LawcatException($"{path}: corrupt header entry for tensor '{name}': {e.Message}"); }
    }

    /// <summary>Bytes per element of a safetensors dtype.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => throw new FormatException($"unsupported dtype '{dtype}'"),
    };

    static ScalarType ToScalarType(string dtype) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new LawcatException($"unsupported safetensors dtype '{dtype}'"),
    };

    static string ToDTypeString(ScalarType t) => t switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentException($"dtype {t} cannot be written to safetensors"),
    };

    /// <summary>Reads one tensor into a new CPU tensor of the file's dtype.</summary>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var e)) throw new LawcatException($"{Path}: no tensor named '{name}'.");
        var t = empty(e.Shape, ToScalarType(e.DType));
        if (e.End == e.Begin) return t;
        using var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        fs.Position = _dataStart + e.Begin;
        try { t.ReadBytesFromStream(fs, (int)Math.Min(e.End - e.Begin, 1 << 24)); }
        catch (EndOfStreamException) { throw new LawcatException($"{Path}: truncated while reading tensor '{name}'."); }
        return t;
    }

    /// <summary>Reads every tensor into a dictionary of CPU tensors.</summary>
    public Dictionary<string, Tensor> ReadAll() => Entries.Keys.ToDictionary(k => k, Read);

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> through a temporary file renamed into place,
    /// so an existing file is never left half-written.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key, T: kv.Value.detach().cpu().contiguous())).ToList();
        try
        {
            var header = new JsonObject();
            if (metadata is { Count: > 0 })
                header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
            long offset = 0;
            foreach (var (name, t) in items)
            {
                long n = t.NumberOfElements * t.ElementSize;
                header[name] = new JsonObject
                {
                    ["dtype"] = ToDTypeString(t.dtype),
                    ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                    ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + n)),
                };
                offset += n;
            }
            var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
            int pad = (8 - headerBytes.Length % 8) % 8;
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            Directory.CreateDirectory(dir);
            var tmp = path + ".tmp";
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                fs.Write(BitConverter.GetBytes((long)(headerBytes.Length + pad)));
                fs.Write(headerBytes);
                for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
                foreach (var (_, t) in items) if (t.NumberOfElements > 0) t.WriteBytesToStream(fs, (int)Math.Min(t.NumberOfElements * t.ElementSize, 1 << 24));
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            foreach (var (_, t) in items) t.Dispose();
        }
    }
}
