using System.Text;
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

    /// <summary>
    /// Reads and validates the header of <paramref name="path"/> as the reference implementation does (header length
    /// within bounds, UTF-8 JSON object, no duplicate names, known dtypes, non-negative dims, sizes without overflow,
    /// offsets contiguous from 0 and ending at the end of the file); tensor data is read on demand.
    /// </summary>
    /// <exception cref="LawcatException">The file is missing or breaks the format; the message names the file and tensor.</exception>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new LawcatException($"{path}: file not found.");
        using var fs = File.OpenRead(path);
        long size = fs.Length;
        var header = SafetensorsHeader.ReadBytes(fs, path, size);
        var (entries, metadata) = SafetensorsHeader.Parse(header, path);
        long dataStart = 8 + header.Length;
        SafetensorsHeader.CheckLayout(entries.Values, path, size - dataStart);
        return new SafetensorsFile(path, entries, metadata, dataStart);
    }

    static ScalarType? ToScalarType(string dtype) => dtype switch
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
        _ => null,
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
        var type = ToScalarType(e.DType)
            ?? throw new LawcatException($"{Path}: tensor '{name}' has dtype {e.DType}, which this workbench does not read (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
        var t = empty(e.Shape, type);
        if (e.End == e.Begin) return t;
        using var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        fs.Position = _dataStart + e.Begin;
        try { t.ReadBytesFromStream(fs, (int)Math.Min(e.End - e.Begin, 1 << 24)); }
        catch (EndOfStreamException) { t.Dispose(); throw new LawcatException($"{Path}: truncated while reading tensor '{name}' (the file changed after its header was read)."); }
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
