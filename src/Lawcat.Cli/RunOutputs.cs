using Lawcat.Visualization;
using Spectre.Console;

namespace Lawcat.Cli;

/// <summary>
/// What a job leaves in its run folder when it ends: its figures (PNG) and <c>report.html</c>, and the lines that say
/// where they and the results are, one path per line (plain text, so a pipe or log file keeps whole paths; what a file
/// holds goes on the next line when the line would be wider than the terminal).
/// </summary>
static class RunOutputs
{
    /// <summary>
    /// Writes the figures (<paramref name="figures"/> returns their paths) and <c>RUN_DIR/report.html</c>, then prints
    /// the report, the figures and <paramref name="results"/> (path and what it holds). A machine that cannot draw
    /// (no fonts or graphics libraries) gets a warning instead of figures; the results are already written.
    /// </summary>
    public static void Write(string runDir, Func<IEnumerable<string>> figures, IEnumerable<(string Path, string What)> results)
    {
        var drawn = new List<string>();
        string? report = null;
        try
        {
            drawn.AddRange(figures());
            report = HtmlReport.Write(runDir);
        }
        catch (Exception e) when (e is not LawcatException)
        {
            AnsiConsole.MarkupLine($"[yellow]warning: figures not written ({Markup.Escape(e.GetType().Name)}: {Markup.Escape(e.Message.Split('\n')[0])})[/]");
        }
        if (report is not null) Print("report", new[] { Shown(report) });
        Print("figures", drawn.Select(Shown));
        Print("results", results.Where(r => File.Exists(r.Path)).Select(r => $"{Shown(r.Path)} ({r.What})"));
    }

    static void Print(string label, IEnumerable<string> items)
    {
        foreach (var line in Lines(label, items, Terminal.Width())) Console.WriteLine(line);
    }

    /// <summary>
    /// <paramref name="items"/> one per line under <paramref name="label"/>, wrapped to <paramref name="width"/> at
    /// spaces with continuations under the item (a path longer than the width stays whole).
    /// </summary>
    internal static IEnumerable<string> Lines(string label, IEnumerable<string> items, int width) =>
        items.Select((item, i) => $"{(i == 0 ? label : ""),-8} {item}").SelectMany(line => Terminal.Wrap(line, width, indent: 9));

    /// <summary>
    /// Creates <paramref name="folder"/> if needed and checks that a file can be written there, before any work whose
    /// results would go there; <paramref name="option"/> (e.g. <c>--out</c>) names it in the error.
    /// </summary>
    public static void RequireWritable(string folder, string option)
    {
        var probe = Path.Combine(folder, $".lawcat-write-check-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LawcatException($"{option} {folder}: cannot write there ({e.Message.Split('\n')[0].Trim()}).");
        }
    }

    /// <summary>A path as the user would type it: relative to the current folder when inside it.</summary>
    public static string Shown(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? Path.GetFullPath(path) : relative;
    }
}
