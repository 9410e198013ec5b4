using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lawcat.Interactive;

/// <summary>
/// A notebook after a headless run: the notebook's JSON with each executed code cell's outputs and execution count
/// filled in (everything else as it was), the cells that ran, and the first failing cell, if any (cells after it did
/// not run).
/// </summary>
/// <param name="Path">The notebook that ran.</param>
/// <param name="Document">The executed notebook (nbformat 4 JSON).</param>
/// <param name="Cells">The code cells that ran, in order; the last one is the failing one when <see cref="Failed"/>.</param>
public sealed record NotebookExecution(string Path, JsonObject Document, IReadOnlyList<CellRun> Cells)
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 1, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The failing cell, or null when every cell ran.</summary>
    public CellRun? Failure => Cells.Count > 0 && Cells[^1].Error is not null ? Cells[^1] : null;

    /// <summary>True when a cell failed.</summary>
    public bool Failed => Failure is not null;

    /// <summary>Throws <see cref="NotebookFailedException"/> when a cell failed.</summary>
    public void ThrowIfFailed()
    {
        if (Failure is CellRun f) throw new NotebookFailedException(Path, f.Index, f.Code, f.Error!);
    }

    /// <summary>Writes the executed notebook to <paramref name="path"/> (through a temporary file, so a reader never sees half of it).</summary>
    public void Save(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, Document.ToJsonString(Indented) + "\n");
        File.Move(temporary, full, overwrite: true);
    }
}
