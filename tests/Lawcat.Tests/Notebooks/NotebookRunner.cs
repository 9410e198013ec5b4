using System.Text;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Lawcat.Tests.Notebooks;

/// <summary>What one code cell produced.</summary>
/// <param name="Index">Position among the notebook's code cells (0-based).</param>
/// <param name="Code">The cell's source.</param>
/// <param name="MimeTypes">Mime types of everything the cell displayed.</param>
/// <param name="Seconds">Wall time of the cell.</param>
public sealed record CellRun(int Index, string Code, IReadOnlyList<string> MimeTypes, double Seconds);

/// <summary>
/// Executes a C# Polyglot notebook (.ipynb) in this process, cell by cell, the way VS Code's kernel does: a
/// <see cref="CSharpKernel"/> with <c>#r "nuget:..."</c>, the kernel helpers (<c>display</c>) and value sharing, inside a
/// composite kernel. The current directory is the notebook's folder while it runs, so relative paths in the notebook
/// mean what they mean in the editor.
/// </summary>
public static class NotebookRunner
{
    /// <summary>
    /// Runs every code cell of <paramref name="path"/> in order with <paramref name="environment"/> set, and throws
    /// <see cref="NotebookFailedException"/> at the first cell that fails or reports an error. <paramref name="inspect"/>
    /// runs after the last cell, with the notebook's variables still there (<see cref="CSharpKernel.TryGetValue{T}"/>).
    /// </summary>
    public static async Task<IReadOnlyList<CellRun>> RunAsync(string path, IReadOnlyDictionary<string, string?> environment,
        Func<CSharpKernel, Task>? inspect = null)
    {
        var infos = new KernelInfoCollection { new("csharp", "C#", new[] { "c#", "cs" }) };
        infos.DefaultKernelName = "csharp";
        var document = Notebook.Parse(await File.ReadAllTextAsync(path), infos);
        var previousDir = Directory.GetCurrentDirectory();
        var previousEnv = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        foreach (var (k, v) in environment) Environment.SetEnvironmentVariable(k, v);
        try
        {
            var csharp = NewCSharpKernel();
            using var kernel = new CompositeKernel { csharp };
            var runs = new List<CellRun>();
            var cells = document.Elements.Where(e => e.KernelName != "markdown" && e.Contents.Trim().Length > 0).ToList();
            for (int i = 0; i < cells.Count; i++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var result = await kernel.SendAsync(new SubmitCode(cells[i].Contents, "csharp"));
                var events = result.Events;
                var problems = events.OfType<CommandFailed>().Select(f => f.Message + (f.Exception is null ? "" : "\n" + f.Exception))
                    .Concat(events.OfType<ErrorProduced>().Select(e => e.Message)).ToList();
                if (problems.Count > 0)
                    throw new NotebookFailedException(path, i, cells[i].Contents, string.Join("\n", problems));
                var mimes = events.OfType<DisplayEvent>().SelectMany(d => d.FormattedValues.Select(f => f.MimeType)).ToList();
                runs.Add(new CellRun(i, cells[i].Contents, mimes, clock.Elapsed.TotalSeconds));
            }
            if (inspect is not null) await inspect(csharp);
            return runs;
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDir);
            foreach (var (k, v) in previousEnv) Environment.SetEnvironmentVariable(k, v);
        }
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
}

/// <summary>A notebook cell failed; the message holds the notebook, the cell number, its source and the error.</summary>
public sealed class NotebookFailedException(string notebook, int cell, string code, string error)
    : Exception(new StringBuilder()
        .AppendLine($"{Path.GetFileName(notebook)}: code cell {cell + 1} failed:")
        .AppendLine(error)
        .AppendLine("--- cell source ---")
        .AppendLine(code).ToString());
