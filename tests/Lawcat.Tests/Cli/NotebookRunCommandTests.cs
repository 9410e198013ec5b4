using System.Text.Json.Nodes;
using Lawcat.Tests.Notebooks;

namespace Lawcat.Tests.Cli;

/// <summary><c>lawcat notebook run</c>, run as users run it (a child process): a real notebook at CI scale, and a failing cell.</summary>
[Trait("Category", "Cli")]
public class NotebookRunCommandTests
{
    static readonly HashSet<string> OutputTypes = new() { "stream", "display_data", "execute_result", "error" };

    static JsonArray Cells(string path) => JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray();

    static List<JsonObject> Outputs(JsonNode cell) => cell["outputs"]!.AsArray().Select(o => o!.AsObject()).ToList();

    /// <summary>Every output carries the fields nbformat 4 requires of its type.</summary>
    static void AssertNbformatOutput(JsonObject o)
    {
        var type = o["output_type"]!.GetValue<string>();
        Assert.Contains(type, OutputTypes);
        string[] required = type switch
        {
            "stream" => new[] { "name", "text" },
            "display_data" => new[] { "data", "metadata" },
            "execute_result" => new[] { "data", "metadata", "execution_count" },
            _ => new[] { "ename", "evalue", "traceback" },
        };
        foreach (var key in required) Assert.True(o.ContainsKey(key), $"a {type} output without '{key}': {o.ToJsonString()}");
    }

    [Fact]
    public void RunsANotebookHeadlesslyAtCiScaleAndWritesItWithItsOutputs()
    {
        var notebook = Path.Combine(TestPaths.Root, "notebooks", "00-onboarding.ipynb");
        var before = File.ReadAllText(notebook);
        var executed = Path.Combine(TestPaths.NewTempDir(), "executed.ipynb");
        var (code, output) = CliRunner.Run(new[] { "notebook", "run", notebook, "--out", executed, "--scale", "ci" });
        Assert.True(code == 0, output);
        Assert.Contains("ci scale", output);
        Assert.Contains("stage 1: attention transfer", output);   // a cell's standard output, echoed while it runs
        Assert.Equal(before, File.ReadAllText(notebook));

        var source = Cells(notebook);
        var result = Cells(executed);
        Assert.Equal(source.Count, result.Count);
        int count = 0, pngs = 0;
        for (int i = 0; i < source.Count; i++)
        {
            Assert.Equal(source[i]!["source"]!.ToJsonString(), result[i]!["source"]!.ToJsonString());
            if (result[i]!["cell_type"]!.GetValue<string>() != "code") continue;
            Assert.Equal(++count, result[i]!["execution_count"]!.GetValue<int>());
            foreach (var o in Outputs(result[i]!))
            {
                AssertNbformatOutput(o);
                Assert.NotEqual("error", o["output_type"]!.GetValue<string>());
                if (o["data"]?["image/png"] is JsonNode png)
                {
                    var bytes = Convert.FromBase64String(png.GetValue<string>());
                    Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
                    pngs++;
                }
            }
        }
        Assert.True(pngs >= 2, $"{pngs} PNG outputs in the executed notebook, expected at least 2");
        Assert.Contains(result, c => c!["cell_type"]!.GetValue<string>() == "code" && Outputs(c).Any(o => o["output_type"]!.GetValue<string>() == "stream"));
    }

    [Fact]
    public void AFailingCellStopsTheRunWritesTheErrorAndExitsWithOne()
    {
        var dir = TestPaths.NewTempDir();
        var notebook = Path.Combine(dir, "failing.ipynb");
        static JsonObject Code(string source) => new()
        {
            ["cell_type"] = "code", ["execution_count"] = null, ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["source"] = source,
        };
        var document = new JsonObject
        {
            ["cells"] = new JsonArray(
                new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = "# a notebook that fails" },
                Code("Console.WriteLine($\"scale={Environment.GetEnvironmentVariable(\"LAWCAT_NOTEBOOK_SCALE\")}\");"),
                Code("throw new InvalidOperationException(\"boom in cell two\");"),
                Code("Console.WriteLine(\"never runs\");")),
            ["metadata"] = new JsonObject(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        File.WriteAllText(notebook, document.ToJsonString());
        var executed = Path.Combine(dir, "out", "failing.ipynb");
        var (code, output) = CliRunner.Run(new[] { "notebook", "run", notebook, "--out", executed, "--scale", "ci" });
        Assert.Equal(1, code);
        Assert.StartsWith("error:", output.Split('\n').Last(l => l.Trim().Length > 0).TrimStart());
        Assert.Contains("code cell 2 failed", output);
        Assert.Contains("boom in cell two", output);
        Assert.DoesNotContain("   at Lawcat", output);

        var cells = Cells(executed);
        var first = Outputs(cells[1]!);
        Assert.Equal("scale=ci\n", first.Single()["text"]!.GetValue<string>());
        var error = Outputs(cells[2]!).Single(o => o["output_type"]!.GetValue<string>() == "error");
        AssertNbformatOutput(error);
        Assert.Contains("boom in cell two", error["evalue"]!.GetValue<string>() + string.Join("\n", error["traceback"]!.AsArray().Select(l => l!.GetValue<string>())));
        Assert.Null(cells[3]!["execution_count"]);
        Assert.Empty(Outputs(cells[3]!));

        var bad = CliRunner.Run(new[] { "notebook", "run", notebook, "--out", executed, "--scale", "huge" });
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--scale 'huge'", bad.Output);
        var self = CliRunner.Run(new[] { "notebook", "run", notebook, "--out", notebook });
        Assert.Equal(1, self.ExitCode);
        Assert.Contains("the notebook itself", self.Output);
    }
}
