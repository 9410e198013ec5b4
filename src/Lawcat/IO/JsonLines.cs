using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lawcat.IO;

/// <summary>
/// A JSON Lines file (one JSON object per line) appended by a process that may be killed while writing a line: every
/// line but the last must be a JSON object, and a last line that is not one was cut, which is reported rather than an error.
/// </summary>
public static class JsonLines
{
    /// <summary>
    /// The objects on the non-empty lines of <paramref name="path"/> with their line numbers (from 1), and the number of a
    /// cut last line (null when there is none). Any earlier line that is not a JSON object throws a
    /// <see cref="LawcatException"/> naming the file and the line, and saying <paramref name="expected"/>.
    /// </summary>
    public static (List<(int Line, JsonObject Record)> Records, int? CutLine) Read(string path, string expected)
    {
        var lines = File.ReadAllLines(path);
        int last = Array.FindLastIndex(lines, l => l.Trim().Length > 0);
        var records = new List<(int, JsonObject)>();
        for (int i = 0; i <= last; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            JsonObject? record = null;
            try { record = JsonNode.Parse(lines[i]) as JsonObject; }
            catch (JsonException) { }
            if (record is not null) records.Add((i + 1, record));
            else if (i < last) throw new LawcatException($"{path}: line {i + 1} is not a JSON object; expected {expected}.");
            else return (records, i + 1);
        }
        return (records, null);
    }

    /// <summary>Replaces <paramref name="path"/> by <paramref name="records"/>, one per line, through a temporary file.</summary>
    public static void Write(string path, IEnumerable<JsonObject> records) =>
        TextFiles.WriteWhole(path, string.Concat(records.Select(r => r.ToJsonString() + Environment.NewLine)));
}
