using Lawcat.IO;
using Lawcat.Visualization;
using Microsoft.Data.Analysis;
using ScottPlot;

namespace Lawcat.Notebooks;

/// <summary>
/// Where a notebook's figures and tables go: each is written under <c>out/NOTEBOOK/</c> (relative to the notebook,
/// git-ignored) and handed to the display callbacks, so it appears inline in the editor and stays on disk for reports
/// and tests. The callbacks keep this library free of the notebook kernel's API: a notebook passes
/// <c>png =&gt; png.DisplayAs("image/png")</c> and <c>html =&gt; html.DisplayAs("text/html")</c>.
/// </summary>
public sealed class NotebookOutput
{
    readonly Action<string> _showPng;
    readonly Action<string> _showHtml;

    /// <summary>
    /// Output of notebook <paramref name="name"/>: figures go to <c>out/<paramref name="name"/>/</c>, emptied first so
    /// that what is there afterwards is what this run produced.
    /// </summary>
    /// <param name="name">The notebook's name, e.g. <c>01-attention-maps</c>.</param>
    /// <param name="showPng">Displays a base64-encoded PNG.</param>
    /// <param name="showHtml">Displays an HTML fragment.</param>
    public NotebookOutput(string name, Action<string> showPng, Action<string> showHtml)
    {
        Folder = Path.Combine("out", name);
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
        Directory.CreateDirectory(Folder);
        (_showPng, _showHtml) = (showPng, showHtml);
    }

    /// <summary>The folder files are written to.</summary>
    public string Folder { get; }

    /// <summary>Writes <c>FILE.png</c> and displays it; returns the path.</summary>
    public string Show(Plot plot, string file, int width = 720, int height = 460) => Show(Charts.Png(plot, width, height), file);

    /// <summary>Writes PNG bytes (e.g. a <see cref="Charts.Grid"/>) as <c>FILE.png</c> and displays them; returns the path.</summary>
    public string Show(byte[] png, string file)
    {
        var path = Path.Combine(Folder, file + ".png");
        File.WriteAllBytes(path, png);
        _showPng(Convert.ToBase64String(png));
        return path;
    }

    /// <summary>Writes <c>FILE.csv</c> and displays the table as HTML with numbers to <paramref name="digits"/> significant digits; returns the CSV's path.</summary>
    public string Show(ResultTable table, string file, int digits = 4)
    {
        var path = Path.Combine(Folder, file + ".csv");
        table.WriteCsv(path);
        _showHtml(Tables.Html(table, digits));
        return path;
    }

    /// <summary>Writes <c>FILE.csv</c> and displays the DataFrame as HTML (see <see cref="Show(ResultTable, string, int)"/>); returns the CSV's path.</summary>
    public string Show(DataFrame table, string file, int digits = 4) => Show(Tables.ToResultTable(table), file, digits);
}
