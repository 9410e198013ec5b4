using System.ComponentModel;
using Lawcat.Visualization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat report RUN_DIR</c>: a self-contained HTML page (inline figures, works offline) for a distill or eval run folder.</summary>
sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>"), Description("A run folder of lawcat distill or lawcat eval.")]
        public string RunDir { get; init; } = "";

        [CommandOption("--out <FILE>"), Description("Where to write the page. Default: RUN_DIR/report.html.")]
        public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        RunOutputs.RequireWritable(Path.GetDirectoryName(Path.GetFullPath(s.Out ?? Path.Combine(s.RunDir, "report.html")))!, s.Out is null ? "RUN_DIR" : "--out");
        var metrics = Path.Combine(s.RunDir, "metrics.jsonl");
        if (File.Exists(metrics) && Lawcat.Training.MetricsLog.CutLastLine(metrics) is int line)
            Cli.Warn($"{metrics}: line {line} is cut (the run was stopped while writing it); the report leaves it out.");
        var path = HtmlReport.Write(s.RunDir, s.Out);
        AnsiConsole.MarkupLine($"report: {Markup.Escape(Path.GetFullPath(path))}");
        return 0;
    }
}
