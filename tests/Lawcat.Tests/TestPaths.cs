namespace Lawcat.Tests;

/// <summary>Locations of the repository, its fixtures and a scratch folder per test.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding Lawcat.Workbench.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>tests/fixtures.</summary>
    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    /// <summary>A HF model fixture folder.</summary>
    public static string LlamaFixture(string name) => Path.Combine(Fixtures, "llama", name);

    /// <summary>The HF model fixtures.</summary>
    public static readonly string[] LlamaFixtures = { "gqa1-tied", "gqa4-untied-llama3", "gqa5-headdim-linear-bf16" };

    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string NewTempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "lawcat-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(d);
        return d;
    }

    static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Lawcat.Workbench.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
