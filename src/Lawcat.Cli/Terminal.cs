using Spectre.Console;

namespace Lawcat.Cli;

/// <summary>
/// The width that results are printed to and the console that prints them: tables and summaries fit
/// <see cref="Width"/>, and a pipe or a log file gets no escape codes.
/// </summary>
static class Terminal
{
    /// <summary>Width of a pipe or a log file without COLUMNS: what a reader's terminal shows without wrapping.</summary>
    public const int PipeWidth = 80;

    /// <summary>The COLUMNS environment variable when set to a positive number, else the terminal's width, else <see cref="PipeWidth"/>.</summary>
    public static int Width()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0) return columns;
        if (Console.IsOutputRedirected) return PipeWidth;
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : PipeWidth; }
        catch (IOException) { return PipeWidth; }
    }

    /// <summary>
    /// The standard output console, set to <see cref="Width"/> now (a terminal may have been resized during a long job)
    /// and without escape codes when the output is redirected (Spectre judges by TERM, which a pipe inherits).
    /// </summary>
    public static IAnsiConsole Out()
    {
        var console = AnsiConsole.Console;
        console.Profile.Width = Width();
        if (Console.IsOutputRedirected) console.Profile.Capabilities.Ansi = false;
        return console;
    }

    /// <summary>
    /// <paramref name="text"/> as lines of at most <paramref name="width"/> characters, broken at spaces only (a word
    /// longer than the width, such as a path, stays whole on a line of its own); lines after the first start with
    /// <paramref name="indent"/> spaces, and no line breaks before that column. The first line keeps the text's own spacing.
    /// </summary>
    public static IEnumerable<string> Wrap(string text, int width, int indent = 0)
    {
        var pad = new string(' ', indent);
        var line = text.TrimEnd();
        while (line.Length > width)
        {
            // A break before the indent gains no room: the continuation would start at the same column.
            int first = Math.Max(line.Length - line.TrimStart().Length, indent);
            int cut = line.LastIndexOf(' ', width);
            if (cut <= first) cut = line.IndexOf(' ', width);
            if (cut <= first) break;
            yield return line[..cut].TrimEnd();
            line = pad + line[cut..].TrimStart();
        }
        yield return line;
    }

    /// <summary>Writes <paramref name="title"/> (wrapped to the width: as the table's own title it would wrap to the table's) and the table.</summary>
    public static void WriteTable(IAnsiConsole console, Table table, string title)
    {
        Terminal.WriteWrapped(console, title + ":");
        console.Write(table);
    }

    /// <summary>A right-aligned column whose values never break across lines.</summary>
    public static TableColumn Column(string header) => new TableColumn(Markup.Escape(header)).RightAligned().NoWrap();

    /// <summary>Writes <paramref name="text"/> to <paramref name="console"/> as plain lines wrapped by <see cref="Wrap"/> to its width.</summary>
    public static void WriteWrapped(IAnsiConsole console, string text, int indent = 0)
    {
        foreach (var line in Wrap(text, console.Profile.Width, indent)) console.WriteLine(line);
    }
}
