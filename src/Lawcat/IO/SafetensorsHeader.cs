using System.Buffers.Binary;
using System.Text.Json;

namespace Lawcat.IO;

/// <summary>
/// Reads and validates a safetensors header to the format's specification, with the reference implementation's
/// checks, so that a damaged or hostile file is refused by name before any tensor is allocated.
/// </summary>
static class SafetensorsHeader
{
    /// <summary>The reference implementation's bound on the header length, against headers that would exhaust memory.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads the 8-byte length and the header bytes of a file of <paramref name="size"/> bytes.</summary>
    public static byte[] ReadBytes(Stream fs, string path, long size)
    {
        if (size < 8) throw new LawcatException($"{path}: not a safetensors file: {size} bytes, shorter than the 8-byte header length.");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLen > MaxHeaderBytes)
            throw new LawcatException($"{path}: corrupt safetensors file: header length {headerLen} exceeds the format's limit of {MaxHeaderBytes:N0} bytes.");
        if (8 + (long)headerLen > size)
            throw new LawcatException($"{path}: corrupt or truncated safetensors file: header length {headerLen} does not fit a file of {size} bytes.");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        return header;
    }

    /// <summary>Parses the header's tensor entries and metadata; the layout is checked by <see cref="CheckLayout"/>.</summary>
    public static (Dictionary<string, SafetensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(byte[] header, string path)
    {
        StrictUtf8.Check(header, $"{path}: corrupt safetensors header");
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new LawcatException($"{path}: corrupt safetensors header: expected a JSON object starting with '{{' right after the 8-byte length.");
        using var doc = ParseJson(header, path);
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (entries.ContainsKey(p.Name) || (p.Name == "__metadata__" && metadata != null))
                throw new LawcatException($"{path}: corrupt safetensors header: the name '{p.Name}' appears twice.");
            if (p.Name == "__metadata__") metadata = ParseMetadata(p.Value, path);
            else entries[p.Name] = ParseEntry(p.Name, p.Value, path);
        }
        return (entries, metadata ?? new Dictionary<string, string>());
    }

    /// <summary>
    /// Checks that the tensors, in the order of their offsets, tile the data section exactly: contiguous from 0,
    /// each the size its dtype and shape need (without overflow), the last ending at <paramref name="dataSize"/>.
    /// </summary>
    public static void CheckLayout(IEnumerable<SafetensorsEntry> entries, string path, long dataSize)
    {
        long end = 0;
        string? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            var where = $"{path}: tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}]";
            if (e.End < e.Begin) throw new LawcatException($"{where} end before they begin.");
            if (e.Begin < end) throw new LawcatException($"{where} overlap tensor '{previous}', which ends at {end}.");
            if (e.Begin > end)
                throw new LawcatException($"{where} leave a hole of {e.Begin - end} bytes after {(previous == null ? "the start of the data" : $"tensor '{previous}'")}.");
            long bytes = ByteSize(e, path);
            if (e.End - e.Begin != bytes)
                throw new LawcatException($"{where} span {e.End - e.Begin} bytes but dtype {e.DType} and shape {Shape(e.Shape)} need {bytes}.");
            if (e.End > dataSize)
                throw new LawcatException($"{path}: truncated: tensor '{e.Name}' ends at data byte {e.End} but the file holds only {dataSize} data bytes.");
            end = e.End;
            previous = e.Name;
        }
        if (end < dataSize)
            throw new LawcatException($"{path}: corrupt safetensors file: {dataSize - end} bytes after {(previous == null ? "the header" : $"the last tensor ('{previous}')")} belong to no tensor.");
    }

    static long ByteSize(SafetensorsEntry e, string path)
    {
        long bits;
        try { bits = checked(e.Shape.Aggregate(1L, (a, d) => a * d) * SafetensorsDTypes.Bits(e.DType)!.Value); }
        catch (OverflowException) { throw new LawcatException($"{path}: tensor '{e.Name}': shape {Shape(e.Shape)} of {e.DType} has more bytes than a 64-bit size holds."); }
        if (bits % 8 != 0) throw new LawcatException($"{path}: tensor '{e.Name}': shape {Shape(e.Shape)} of {e.DType} is not a whole number of bytes.");
        return bits / 8;
    }

    static JsonDocument ParseJson(byte[] header, string path)
    {
        try { return JsonDocument.Parse(header); }
        catch (JsonException e) { throw new LawcatException($"{path}: corrupt safetensors header (not valid JSON): {e.Message}", e); }
    }

    static Dictionary<string, string> ParseMetadata(JsonElement node, string path)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node.ValueKind == JsonValueKind.Null) return metadata;
        if (node.ValueKind != JsonValueKind.Object)
            throw new LawcatException($"{path}: corrupt safetensors header: __metadata__ is {Excerpt(node)}; expected an object of strings.");
        foreach (var p in node.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw new LawcatException($"{path}: corrupt safetensors header: __metadata__ key '{p.Name}' is {Excerpt(p.Value)}; expected a string.");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw new LawcatException($"{path}: corrupt safetensors header: __metadata__ has the key '{p.Name}' twice.");
        }
        return metadata;
    }

    static SafetensorsEntry ParseEntry(string name, JsonElement node, string path)
    {
        var where = $"{path}: tensor '{name}'";
        if (node.ValueKind != JsonValueKind.Object)
            throw new LawcatException($"{where}: header entry is {Excerpt(node)}; expected an object with dtype, shape and data_offsets.");
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in node.EnumerateObject())
            if (!fields.TryAdd(p.Name, p.Value)) throw new LawcatException($"{where}: header entry has the key '{p.Name}' twice.");
        JsonElement Field(string key) => fields.TryGetValue(key, out var v) ? v : throw new LawcatException($"{where}: header entry has no '{key}'.");

        var dtypeNode = Field("dtype");
        var dtype = dtypeNode.ValueKind == JsonValueKind.String ? dtypeNode.GetString()! : null;
        if (dtype == null || SafetensorsDTypes.Bits(dtype) == null)
            throw new LawcatException($"{where}: dtype {Excerpt(dtypeNode)} is not one the format defines ({SafetensorsDTypes.Names}).");
        var shape = NonNegativeIntegers(Field("shape"))
            ?? throw new LawcatException($"{where}: shape {Excerpt(Field("shape"))} is not a list of non-negative integers.");
        var offsets = NonNegativeIntegers(Field("data_offsets"));
        if (offsets is not { Length: 2 })
            throw new LawcatException($"{where}: data_offsets {Excerpt(Field("data_offsets"))} is not a pair of non-negative integers.");
        return new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>The array's values, or null when it is not an array of integers in [0, 2^63).</summary>
    static long[]? NonNegativeIntegers(JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Array) return null;
        var values = new long[node.GetArrayLength()];
        int i = 0;
        foreach (var x in node.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out var v) || v < 0) return null;
            values[i++] = v;
        }
        return values;
    }

    static string Excerpt(JsonElement node)
    {
        var raw = node.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "...";
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
