using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.IO;

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

    /// <summary>
    /// Reads every record of a metrics file. A cut last line (a run killed while writing it) is left out, see
    /// <see cref="CutLastLine"/>; any other line that is not a JSON object is an error naming the file and line.
    /// </summary>
    public static List<JsonObject> Read(string path) => Lines(path).Records.Select(r => r.Record).ToList();

    /// <summary>The number (from 1) of the last line of <paramref name="path"/> when it is cut (not a JSON object), else null.</summary>
    public static int? CutLastLine(string path) => Lines(path).CutLine;

    static (List<(int Line, JsonObject Record)> Records, int? CutLine) Lines(string path) => JsonLines.Read(path, "one metrics record per line");

    /// <summary>
    /// Removes the records a resumed run will write again: those of later stages than <paramref name="stage"/> and of
    /// its updates after <paramref name="step"/> (an interrupted process may have logged past its last checkpoint).
    /// The file is rewritten through a temporary file, so a crash leaves either version whole.
    /// </summary>
    public static void DropAfter(string path, int stage, long step)
    {
        if (!File.Exists(path)) return;
        // A cut last line (killed mid-write) goes too: records appended after it would otherwise share its line.
        var kept = Read(path).Where(r =>
        {
            int s = r["stage"]?.GetValue<int>() ?? stage;
            long n = r["step"]?.GetValue<long>() ?? 0;
            return s < stage || (s == stage && n <= step);
        }).ToList();
        JsonLines.Write(path, kept);
    }

    /// <inheritdoc/>
    public void Dispose() => _writer?.Dispose();
}
