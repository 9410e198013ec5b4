using System.Text.Json.Nodes;

namespace Lawcat.Interactive;

/// <summary>What one code cell produced.</summary>
/// <param name="Index">Position among the notebook's code cells that ran (0-based).</param>
/// <param name="Code">The cell's source.</param>
/// <param name="MimeTypes">Mime types of everything the cell displayed (standard output included).</param>
/// <param name="Outputs">The cell's outputs in Jupyter's notebook format (nbformat 4), as written to the executed notebook.</param>
/// <param name="Error">The error the cell produced, or null when it succeeded.</param>
/// <param name="Seconds">Wall time of the cell.</param>
public sealed record CellRun(int Index, string Code, IReadOnlyList<string> MimeTypes, JsonArray Outputs, string? Error, double Seconds);
