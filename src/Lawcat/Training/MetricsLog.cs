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

    /// <summary>
    /// Removes the records a resumed run will write again: those of later stages than <paramref name="stage"/> and of
    /// its updates after <paramref name="step"/> (an interrupted process may have logged past its last checkpoint).
    /// The file is rewritten through a temporary file, so a crash leaves either version whole.
    /// </summary>
    public static void DropAfter(string path, int stage, long step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadLines(path).Where(l => l.Trim().Length > 0).Where(l =>
        {
            var r = JsonNode.Parse(l)!.AsObject();
            int s = r["stage"]?.GetValue<int>() ?? stage;
            long n = r["step"]?.GetValue<long>() ?? 0;
            return s < stage || (s == stage && n <= step);
        }).ToList();
        File.WriteAllLines(path + ".tmp", kept);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <inheritdoc/>
    public void Dispose() => _writer?.Dispose();
}
