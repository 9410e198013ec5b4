using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lawcat.Ablation;
using Lawcat.Distillation;
using Lawcat.Interactive;
using Lawcat.Notebooks;
using Lawcat.Training;
using Microsoft.Data.Analysis;

namespace Lawcat.Tests.Notebooks;

/// <summary>
/// Every notebook under notebooks/ runs headlessly, cell by cell, at CI scale (<see cref="NotebookScale"/>), on the
/// model folder that is there (the embedded tiny teacher); a failing cell fails the test with the cell's source. Each
/// must leave its figures under notebooks/out/NAME/ as real PNG images and show them inline.
/// </summary>
[Trait("Category", "Notebooks")]
public class NotebookTests
{
    static string Folder => Path.Combine(TestPaths.Root, "notebooks");

    static readonly Dictionary<string, string?> CiScale = new() { [NotebookScale.Variable] = "ci" };

    /// <summary>Runs notebook <paramref name="name"/> and checks that it wrote and displayed at least <paramref name="figures"/> PNGs.</summary>
    static async Task<IReadOnlyList<CellRun>> RunAndCheckFigures(string name, int figures, Func<Microsoft.DotNet.Interactive.CSharp.CSharpKernel, Task>? inspect = null)
    {
        var outDir = Path.Combine(Folder, "out", name);
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        var run = await NotebookRunner.RunAsync(Path.Combine(Folder, name + ".ipynb"), CiScale, inspect);
        run.ThrowIfFailed();
        var cells = run.Cells;
        Assert.True(Directory.Exists(outDir), $"{name} wrote nothing to {outDir}");
        var pngs = Directory.GetFiles(outDir, "*.png", SearchOption.AllDirectories);
        Assert.True(pngs.Length >= figures, $"{name} wrote {pngs.Length} PNGs to {outDir}, expected at least {figures}");
        foreach (var png in pngs) PngAssert.NonTrivial(png);
        int shown = cells.Sum(c => c.MimeTypes.Count(m => m == "image/png"));
        Assert.True(shown >= figures, $"{name} displayed {shown} PNGs inline, expected at least {figures}");
        return cells;
    }

    [Fact]
    public void NotebooksAreCommittedWithoutOutputs()
    {
        var notebooks = Directory.GetFiles(Folder, "*.ipynb");
        Assert.NotEmpty(notebooks);
        foreach (var path in notebooks)
            foreach (var cell in JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray().Select(c => c!.AsObject()))
            {
                if (cell["cell_type"]!.GetValue<string>() != "code") continue;
                Assert.True(cell["outputs"]!.AsArray().Count == 0, $"{Path.GetFileName(path)} has a code cell with outputs; clear them before committing");
                Assert.True(cell["execution_count"] is null, $"{Path.GetFileName(path)} has an execution count; clear outputs before committing");
            }
    }

    /// <summary>The code of every notebook's setup cell: the NuGet packages (a loaded file cannot reference them), then the shared setup.</summary>
    static readonly string[] SetupCellCode =
    [
        "#r \"nuget: TorchSharp, 0.107.0\"",
        "#r \"nuget: libtorch-cpu-linux-x64, 2.10.0\"",
        "#r \"nuget: ScottPlot, 5.1.59\"",
        "#r \"nuget: Microsoft.Data.Analysis, 0.23.1\"",
        "#r \"nuget: YamlDotNet, 18.1.0\"",
        "#load \"setup.csx\"",
    ];

    /// <summary>
    /// The setup cell and the note above it, which tells Windows and CUDA users which libtorch line to write there
    /// (a #r line cannot depend on the OS), are the same in every notebook, so a fix to one reaches all. The cell holds
    /// only the package lines and <c>#load "setup.csx"</c> (besides comments); the rest of the setup, the workbench's
    /// assemblies, the namespaces and the device, is in that one file.
    /// </summary>
    [Fact]
    public void SetupCellAndItsNoteAreTheSameInEveryNotebook()
    {
        static (string Note, string Setup) FirstCells(string path)
        {
            var cells = JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray().Select(c => c!.AsObject()).ToList();
            string Text(JsonObject c) => string.Concat(c["source"]!.AsArray().Select(l => l!.GetValue<string>()));
            int setup = cells.FindIndex(c => c["cell_type"]!.GetValue<string>() == "code");
            Assert.True(setup >= 1 && cells[setup - 1]["cell_type"]!.GetValue<string>() == "markdown", $"{Path.GetFileName(path)}: no note above the setup cell");
            return (Text(cells[setup - 1]), Text(cells[setup]));
        }
        var all = Directory.GetFiles(Folder, "*.ipynb").Order(StringComparer.Ordinal).Select(p => (Name: Path.GetFileName(p), Cells: FirstCells(p))).ToList();
        Assert.Equal(6, all.Count);
        var (note, setup) = all[0].Cells;
        Assert.Contains("#r \"nuget: libtorch-cpu-linux-x64, 2.10.0\"", setup.Split('\n'));
        foreach (var line in new[] { "libtorch-cpu-win-x64, 2.10.0", "TorchSharp-cuda-windows, 0.107.0", "LD_LIBRARY_PATH" })
            Assert.Contains(line, note);
        foreach (var (name, cells) in all.Skip(1))
        {
            Assert.True(cells.Setup == setup, $"{name}: its setup cell differs from {all[0].Name}'s");
            Assert.True(cells.Note == note, $"{name}: the note above its setup cell differs from {all[0].Name}'s");
        }
        Assert.Equal(SetupCellCode, setup.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)));

        var shared = File.ReadAllLines(Path.Combine(Folder, "setup.csx")).Select(l => l.Trim()).ToList();
        Assert.Contains("#r \"../src/Lawcat/bin/Release/net10.0/Lawcat.dll\"", shared);
        Assert.Contains("#r \"../src/Lawcat.Presentation/bin/Release/net10.0/Lawcat.Presentation.dll\"", shared);
        foreach (var ns in new[] { "Lawcat", "Lawcat.Evaluation", "Lawcat.Notebooks", "Lawcat.Visualization", "static TorchSharp.torch" })
            Assert.Contains($"global using {ns};", shared);
        Assert.Contains(shared, l => l.StartsWith("var device = ", StringComparison.Ordinal));
    }

    [Fact]
    public Task Onboarding() => RunAndCheckFigures("00-onboarding", 2);

    [Fact]
    public Task AttentionMaps() => RunAndCheckFigures("01-attention-maps", 7);

    [Fact]
    public Task DistillLlama() => RunAndCheckFigures("03-distill-llama-3.2-1b", 3);

    [Fact]
    public Task LongContextEvals() => RunAndCheckFigures("04-long-context-evals", 7);

    [Fact]
    public Task Speed() => RunAndCheckFigures("05-speed", 5);

    /// <summary>
    /// The ablation notebook runs the shipped grid, and its table says what the command line says: <c>lawcat ablate</c>
    /// with the notebook's settings on the notebook's grid folder reads every variant back (the same options) and writes
    /// the same table; and one variant (not the default) run again with <c>lawcat distill</c> and the command line the
    /// notebook prints for it gives the same stage-1 losses, as printed and to the last bit in the run's metrics.
    /// </summary>
    [Fact]
    public async Task AblationsMatchTheCli()
    {
        AblationOutcome? outcome = null;
        DataFrame? table = null;
        string[]? sets = null;
        string? gridFolder = null;
        await RunAndCheckFigures("02-ablations", 4, kernel =>
        {
            Assert.True(kernel.TryGetValue("outcome", out outcome), "the notebook has no 'outcome' variable");
            Assert.True(kernel.TryGetValue("table", out table), "the notebook has no 'table' variable");
            Assert.True(kernel.TryGetValue("sets", out sets), "the notebook has no 'sets' variable");
            Assert.True(kernel.TryGetValue("gridFolder", out gridFolder), "the notebook has no 'gridFolder' variable");
            return Task.CompletedTask;
        });
        var shipped = AblationGrid.Load(Path.Combine(TestPaths.Root, "data", "ablations", "default.yaml"));
        Assert.False(outcome!.Interrupted);
        Assert.Equal(shipped.Variants.Select(v => v.Name), outcome.Variants.Select(v => v.Variant.Name));

        var folder = Path.GetFullPath(Path.Combine(Folder, gridFolder!));
        var notebookCsv = File.ReadAllText(Path.Combine(folder, "ablation.csv"));
        var ablate = CliRunner.Run(new[] { "ablate", "data/ablations/default.yaml", "--out", folder }.Concat(sets!.SelectMany(x => new[] { "--set", x })));
        Assert.True(ablate.ExitCode == 0, $"lawcat ablate failed ({ablate.ExitCode}):\n{ablate.Output}");
        Assert.Contains($"{shipped.Variants.Count} variants, {shipped.Variants.Count} finished earlier", ablate.Output);
        Assert.Equal(notebookCsv, File.ReadAllText(Path.Combine(folder, "ablation.csv")));

        var variant = outcome.Variants.Single(v => v.Variant.Name == "no conv");
        int row = Enumerable.Range(0, (int)table!.Rows.Count).First(i => (string)table["variant"][i] == "no conv");
        Assert.Equal(variant.Stage1HeldOutLoss, (double)table["stage1_eval_loss"][row]);
        var stage1 = variant.Metrics.Where(r => r["stage"]!.GetValue<int>() == 1).ToList();
        double lastLoss = stage1.Last(r => r["loss"] is not null)["loss"]!.GetValue<double>();

        var runDir = TestPaths.NewTempDir();
        var (exit, stdout) = CliRunner.Run(new[] { "distill", "--out", runDir }.Concat(DistillCommandLine.Arguments(variant.Variant.Options)));
        Assert.True(exit == 0, $"lawcat distill failed ({exit}):\n{stdout}");
        var printed = Regex.Match(stdout, @"(\d+) updates, loss (\S+), best eval ([0-9.eE+-]+)");
        Assert.True(printed.Success, $"no stage-1 line in the CLI's output:\n{stdout}");
        Assert.Equal(variant.Variant.Options.Stage1.Steps.ToString(CultureInfo.InvariantCulture), printed.Groups[1].Value);
        Assert.Equal(lastLoss.ToString("G4", CultureInfo.InvariantCulture), printed.Groups[2].Value);
        Assert.Equal(variant.Stage1HeldOutLoss!.Value.ToString("G4", CultureInfo.InvariantCulture), printed.Groups[3].Value);

        var metrics = MetricsLog.Read(Path.Combine(runDir, "metrics.jsonl")).Where(r => r["stage"]!.GetValue<int>() == 1).ToList();
        Assert.Equal(lastLoss, metrics.Last(r => r["loss"] is not null)["loss"]!.GetValue<double>());
        Assert.Equal(variant.Stage1HeldOutLoss, metrics.Where(r => r["eval_loss"] is not null).Min(r => r["eval_loss"]!.GetValue<double>()));
    }
}
