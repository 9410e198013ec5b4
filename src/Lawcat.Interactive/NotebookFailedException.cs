using System.Text;

namespace Lawcat.Interactive;

/// <summary>A notebook cell failed; the message holds the notebook, the cell number, its source and the error.</summary>
public sealed class NotebookFailedException(string notebook, int cell, string code, string error)
    : Exception(new StringBuilder()
        .AppendLine($"{Path.GetFileName(notebook)}: code cell {cell + 1} failed:")
        .AppendLine(error)
        .AppendLine("--- cell source ---")
        .AppendLine(code).ToString());
