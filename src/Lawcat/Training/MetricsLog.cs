using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lawcat.Training;

/// <summary>Training metrics as JSON lines (one object per update or evaluation), appended and flushed as they come, for plotting.</summary>
public sealed class MetricsLog : IDisposable
{
    readonly StreamWriter? _writer;

    /// <summary>Appends to <paramref name="path"/> (null: discard).</summary>
    public MetricsLog(string? path)
    {
        if (path is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    /// <summary>Writes one record.</summary>
    public void Write(JsonObject record) => _writer?.WriteLine(record.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));

    /// <summary>Reads every record of a metrics file.</summary>
    public static List<JsonObject> Read(string path) =>
        File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <inheritdoc/>
    public void Dispose() => _writer?.Dispose();
}
