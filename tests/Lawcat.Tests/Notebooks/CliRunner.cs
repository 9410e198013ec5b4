using System.Diagnostics;

namespace Lawcat.Tests.Notebooks;

/// <summary>Runs the <c>lawcat</c> command line as its own process, from the repository root, the way a user would.</summary>
public static class CliRunner
{
    /// <summary>
    /// The CLI's build output for this configuration: the test project's output folder with tests/Lawcat.Tests
    /// replaced by src/Lawcat.Cli (e.g. src/Lawcat.Cli/bin/Release/net10.0/linux-x64/Lawcat.Cli.dll).
    /// </summary>
    public static string CliDll
    {
        get
        {
            var relative = Path.GetRelativePath(Path.Combine(TestPaths.Root, "tests", "Lawcat.Tests"), AppContext.BaseDirectory);
            var dll = Path.Combine(TestPaths.Root, "src", "Lawcat.Cli", relative, "Lawcat.Cli.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"the CLI is not built at {dll}; build the solution first.", dll);
            return dll;
        }
    }

    /// <summary>Runs <c>lawcat ARGS</c> and returns its exit code and everything it printed (stdout and stderr).</summary>
    public static (int ExitCode, string Output) Run(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = TestPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
