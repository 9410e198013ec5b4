namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class DataFilesTests
{
    [Fact]
    public void FindsTheGutenbergBooks()
    {
        var books = DataFiles.GutenbergBooks();
        Assert.Equal(18, books.Count);
        Assert.All(books, b => Assert.EndsWith(".txt", b));
        Assert.Contains(books, b => Path.GetFileName(b) == "austen-emma.txt");
    }

    [Fact]
    public void FindsTheNearestNodeModulesHoldingThePath()
    {
        var root = TestPaths.NewTempDir();
        var nested = Directory.CreateDirectory(Path.Combine(root, "a", "b", "c")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "a", "node_modules"));
        Directory.CreateDirectory(Path.Combine(root, "node_modules", "pkg"));
        File.WriteAllText(Path.Combine(root, "node_modules", "pkg", "x.txt"), "x");
        Assert.Equal(Path.Combine(root, "node_modules", "pkg", "x.txt"), DataFiles.Find("pkg/x.txt", null, new[] { nested }));
    }

    [Fact]
    public void DataDirVariableWinsAndAMissingFileNamesItAndSetup()
    {
        var dir = TestPaths.NewTempDir();
        var e = Assert.Throws<LawcatException>(() => DataFiles.Find(DataFiles.GutenbergFolder, dir, new[] { TestPaths.Root }));
        Assert.Contains(DataFiles.GutenbergFolder, e.Message);
        Assert.Contains($"{DataFiles.DataDirVariable}={dir}", e.Message);
        Assert.Contains("./setup.sh", e.Message);
    }

    [Fact]
    public void NoNodeModulesAnywhereIsReported()
    {
        var e = Assert.Throws<LawcatException>(() => DataFiles.Find("pkg/x.txt", null, new[] { "/" }));
        Assert.Contains("none exists", e.Message);
        Assert.Contains("./setup.sh", e.Message);
    }
}
