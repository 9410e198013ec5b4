using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lawcat.Tests.Notebooks;

namespace Lawcat.Tests.Cli;

/// <summary>
/// <c>lawcat eval babilong</c> without --lengths on the embedded tiny teacher's weights and byte-level tokenizer. The
/// teacher is copied with a context of its own (max_position_embeddings) so that the splits that fit, and the cost of the
/// test, do not change when the embedded teacher does.
/// </summary>
[Trait("Category", "Cli")]
public class EvalBabilongCliTests
{
    /// <summary>A copy of the embedded tiny teacher whose config.json says <paramref name="context"/> positions.</summary>
    static string TinyTeacherWithContext(int context)
    {
        var source = Path.Combine(TestPaths.Root, DataFiles.TinyTeacherFolder);
        var folder = TestPaths.NewTempDir();
        foreach (var file in new[] { "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(source, file), Path.Combine(folder, file));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        config["max_position_embeddings"] = context;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        return folder;
    }

    /// <summary>Runs the CLI; the output with line breaks of the console's wrapping turned back into spaces.</summary>
    static (int ExitCode, string Output) Run(params string[] args)
    {
        var (code, output) = CliRunner.Run(args);
        return (code, Regex.Replace(output, @"\s+", " "));
    }

    [Fact]
    public void WithoutLengthsItRunsTheSplitsThatFitTheContextAndWritesResults()
    {
        // Byte tokens: split 0 needs ~1.3-3K, split 1000 ~4.3K (700 GPT-2 tokens of haystack, ~4 bytes each, plus the
        // ~1.3K-byte instructions), split 2000 ~8.5K.
        var outDir = TestPaths.NewTempDir();
        var r = Run("eval", "babilong", "--model", TinyTeacherWithContext(6000), "--tasks", "qa2", "--samples", "1", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("splits 0, 1000: those whose prompts fit the model's 6,000-token context (split 2000 needs", r.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "babilong.json")));
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(new[] { 0, 1000 }, rows.Select(e => e.GetProperty("target_length").GetInt32()));
        Assert.All(rows, e => Assert.InRange(e.GetProperty("actual_length").GetInt32(), 1000, 6000 - 20));
    }

    [Fact]
    public void WhenNoSplitFitsItNamesWhatTheSmallestNeedsAndWritesNothing()
    {
        var outDir = Path.Combine(TestPaths.NewTempDir(), "out");
        var r = Run("eval", "babilong", "--model", TinyTeacherWithContext(1000), "--samples", "1", "--out", outDir);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error:", r.Output.TrimStart());
        Assert.Contains("no BABILong split fits the model's context of 1,000 tokens", r.Output);
        Assert.Matches("the smallest need is split 0's, [0-9,]+ tokens", r.Output);
        Assert.DoesNotContain("   at ", r.Output);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void ASplitBabilongsFilterCannotFillIsAnErrorBeforeAnyModelRuns()
    {
        // "0.32k" is 320 only with BABILong's k = 1,000.
        var r = Run("eval", "babilong", "--lengths", "0,0.32k", "--samples", "1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("BABILong split 320", r.Output);
        Assert.DoesNotContain("   at ", r.Output);
    }
}
