using System.Text;
using System.Text.Json;

namespace Lawcat.Data;

/// <summary>
/// Training documents from local files, streamed: <c>.txt</c> files are cut at blank lines into pieces of a few
/// thousand characters; each line of a <c>.jsonl</c> file is one document, either a <c>text</c> field or an
/// alpaca-style record (instruction, optional input, output) rendered with <see cref="AlpacaTemplate"/>.
/// </summary>
public static class TrainingText
{
    /// <summary>The Stanford Alpaca prompt, filled with instruction, input (optional) and output.</summary>
    public const string AlpacaTemplate =
        "Below is an instruction that describes a task{0}. Write a response that appropriately completes the request.\n\n" +
        "### Instruction:\n{1}\n\n{2}### Response:\n{3}";

    /// <summary>Characters per piece a .txt file is cut into (at the next blank line).</summary>
    public const int TextPieceChars = 8192;

    /// <summary>An alpaca record as text.</summary>
    public static string RenderAlpaca(string instruction, string? input, string output) => string.IsNullOrWhiteSpace(input)
        ? string.Format(AlpacaTemplate, "", instruction, "", output)
        : string.Format(AlpacaTemplate, ", paired with an input that provides further context", instruction, $"### Input:\n{input}\n\n", output);

    /// <summary>The documents of every file, in order, read lazily.</summary>
    public static IEnumerable<string> Documents(IEnumerable<string> files)
    {
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new LawcatException($"{file}: data file not found.");
            var docs = Path.GetExtension(file).ToLowerInvariant() switch
            {
                ".txt" => TextPieces(file),
                ".jsonl" => JsonLines(file),
                _ => throw new LawcatException($"{file}: unsupported data file; expected .txt or .jsonl."),
            };
            foreach (var d in docs) yield return d;
        }
    }

    static IEnumerable<string> TextPieces(string file)
    {
        var sb = new StringBuilder();
        foreach (var line in File.ReadLines(file))
        {
            sb.Append(line).Append('\n');
            if (sb.Length >= TextPieceChars && line.Trim().Length == 0)
            {
                yield return sb.ToString();
                sb.Clear();
            }
        }
        if (sb.ToString().Trim().Length > 0) yield return sb.ToString();
    }

    static IEnumerable<string> JsonLines(string file)
    {
        int lineNo = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            yield return ParseRecord(line, file, lineNo);
        }
    }

    static string ParseRecord(string line, string file, int lineNo)
    {
        JsonElement e;
        try { e = JsonDocument.Parse(line).RootElement; }
        catch (JsonException ex) { throw new LawcatException($"{file} line {lineNo}: not valid JSON: {ex.Message}"); }
        string? Str(string key) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var text = Str("text");
        if (text is not null) return text;
        var instruction = Str("instruction");
        var output = Str("output");
        if (instruction is not null && output is not null) return RenderAlpaca(instruction, Str("input"), output);
        throw new LawcatException($"{file} line {lineNo}: expected a \"text\" string, or \"instruction\" and \"output\" strings (alpaca).");
    }
}
