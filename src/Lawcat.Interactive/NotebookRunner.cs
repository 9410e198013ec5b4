using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Lawcat.Interactive;

/// <summary>
/// Executes a C# Polyglot notebook (.ipynb) in this process, cell by cell, the way VS Code's kernel does: a
/// <see cref="CSharpKernel"/> with <c>#r "nuget:..."</c>, the kernel helpers (<c>display</c>) and value sharing, inside a
/// composite kernel. The current directory is the notebook's folder while it runs, so relative paths in the notebook
/// mean what they mean in the editor. Execution stops at the first failing cell.
/// </summary>
public static class NotebookRunner
{
    /// <summary>
    /// Runs every code cell of <paramref name="path"/> in order with <paramref name="environment"/> set (a null value
    /// unsets the variable) and returns the executed notebook. <paramref name="onCellStart"/> gets each cell's number
    /// (0-based), the number of code cells and its source before it runs, <paramref name="onCellDone"/> the cell's
    /// outcome, and <paramref name="echo"/> the cells' standard output and error as they are written.
    /// <paramref name="inspect"/> runs after the last cell when every cell succeeded, with the notebook's variables
    /// still there (<see cref="CSharpKernel.TryGetValue{T}"/>).
    /// </summary>
    public static async Task<NotebookExecution> RunAsync(string path, IReadOnlyDictionary<string, string?> environment,
        Func<CSharpKernel, Task>? inspect = null, Action<int, int, string>? onCellStart = null, Action<CellRun>? onCellDone = null,
        Action<string>? echo = null)
    {
        var document = JsonNode.Parse(await File.ReadAllTextAsync(path)) as JsonObject
            ?? throw new FormatException($"{path}: not a Jupyter notebook (expected a JSON object).");
        var cells = NotebookCells.Code(document, path);
        var previousDir = Directory.GetCurrentDirectory();
        var previousEnv = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        foreach (var (k, v) in environment) Environment.SetEnvironmentVariable(k, v);
        try
        {
            var csharp = NewCSharpKernel();
            using var kernel = new CompositeKernel { csharp };
            using var echoing = echo is null ? null : kernel.KernelEvents.Subscribe(new Echo(echo));
            var runs = new List<CellRun>();
            for (int i = 0; i < cells.Count; i++)
            {
                onCellStart?.Invoke(i, cells.Count, cells[i].Source);
                var run = await RunCell(kernel, cells[i], i);
                runs.Add(run);
                onCellDone?.Invoke(run);
                if (run.Error is not null) break;
            }
            if (inspect is not null && runs.All(r => r.Error is null)) await inspect(csharp);
            return new NotebookExecution(path, document, runs);
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDir);
            foreach (var (k, v) in previousEnv) Environment.SetEnvironmentVariable(k, v);
        }
    }

    static async Task<CellRun> RunCell(Kernel kernel, NotebookCell cell, int index)
    {
        var clock = Stopwatch.StartNew();
        var outputs = new JupyterOutputs(executionCount: index + 1);
        if (NotebookCells.IsCSharp(cell.Kernel))
            foreach (var e in (await kernel.SendAsync(new SubmitCode(cell.Source, "csharp"))).Events) outputs.Add(e);
        else
            outputs.Add(new CommandFailed($"this cell is written for the '{cell.Kernel}' kernel; only C# cells run headlessly.", new SubmitCode(cell.Source)));
        outputs.Finish();
        cell.Cell["outputs"] = outputs.Outputs;
        cell.Cell["execution_count"] = index + 1;
        return new CellRun(index, cell.Source, outputs.MimeTypes, outputs.Outputs, outputs.Error, clock.Elapsed.TotalSeconds);
    }

    static CSharpKernel NewCSharpKernel()
    {
        var csharp = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        return csharp.UseNugetDirective((k, references) =>
        {
            k.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
            return Task.CompletedTask;
        });
    }

    /// <summary>Passes the text of standard output and error events on as they happen.</summary>
    sealed class Echo(Action<string> write) : IObserver<KernelEvent>
    {
        public void OnNext(KernelEvent e)
        {
            if (e is StandardOutputValueProduced or StandardErrorValueProduced)
                write(string.Concat(((DisplayEvent)e).FormattedValues.Where(v => v.MimeType == "text/plain").Select(v => v.Value)));
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }
    }
}
