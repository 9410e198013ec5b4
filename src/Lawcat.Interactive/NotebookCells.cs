using System.Text.Json.Nodes;

namespace Lawcat.Interactive;

/// <summary>A code cell of a notebook's JSON, with its source text and the kernel it is written for.</summary>
/// <param name="Cell">The cell's JSON object (outputs are written into it).</param>
/// <param name="Source">The cell's code.</param>
/// <param name="Kernel">The kernel's name (e.g. <c>csharp</c>).</param>
sealed record NotebookCell(JsonObject Cell, string Source, string Kernel);

/// <summary>Reads the code cells of an nbformat 4 notebook as Polyglot Notebooks and Jupyter with .NET Interactive write them.</summary>
static class NotebookCells
{
    /// <summary>The non-empty code cells of <paramref name="document"/>, in order.</summary>
    public static List<NotebookCell> Code(JsonObject document, string path)
    {
        if (document["cells"] is not JsonArray cells)
            throw new FormatException($"{path}: not a Jupyter notebook (no \"cells\" array).");
        var fallback = document["metadata"]?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>() ?? "csharp";
        var code = new List<NotebookCell>();
        foreach (var cell in cells.OfType<JsonObject>())
        {
            if (cell["cell_type"]?.GetValue<string>() != "code") continue;
            var source = Text(cell["source"]);
            if (source.Trim().Length == 0) continue;
            var kernel = cell["metadata"]?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                ?? cell["metadata"]?["dotnet_interactive"]?["language"]?.GetValue<string>()
                ?? fallback;
            code.Add(new NotebookCell(cell, source, kernel));
        }
        return code;
    }

    /// <summary>True for the names a C# cell carries.</summary>
    public static bool IsCSharp(string kernel) => kernel is "csharp" or "C#" or "c#" or "cs";

    /// <summary>nbformat stores text as one string or as a list of lines (each with its line break).</summary>
    static string Text(JsonNode? source) => source switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        JsonValue value => value.GetValue<string>(),
        _ => "",
    };
}
