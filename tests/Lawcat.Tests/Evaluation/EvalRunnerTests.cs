using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Lawcat.Visualization;

namespace Lawcat.Tests.Evaluation;

/// <summary>The evaluation runner end to end on the embedded tiny teacher: every task family, results, tables and plots.</summary>
[Trait("Category", "Evals")]
public class EvalRunnerTests
{
    [Fact]
    public void RunsEveryTaskFamilyAndWritesResultsAndPlots()
    {
        var folder = DataFiles.TinyTeacher();
        var model = LlamaModel.FromPretrained(folder);
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        var plans = new[]
        {
            new EvalPlan(new PasskeyGenerator(3), new[] { 1024, 2048 }, DepthGrid.Even(2).Select(d => (double?)d).ToArray(), 2, 8),
            new EvalPlan(new RulerNiahGenerator(RulerNiahTask.SNiah1, 3), new[] { 600 }, new double?[] { null }, 1, 12),
            new EvalPlan(new BabilongGenerator(BabiTask.Qa2, 3), new[] { 0 }, new double?[] { null }, 1, 8),
        };
        var results = EvalSuite.Run(new[] { ("teacher", model) }, tokenizer, plans);
        Assert.Equal(8 + 1 + 1, results.Count);
        Assert.All(results, r => Assert.InRange(r.Score, 0, 1));
        // The tiny teacher was trained on passkeys of 4,096 tokens: it retrieves them across its context.
        Assert.Equal(1.0, results.Where(r => r.Task == EvalTask.Passkey).Average(r => r.Score));
        var dir = TestPaths.NewTempDir();
        EvalReport.Save(results, Path.Combine(dir, "all"));
        var summary = File.ReadAllLines(Path.Combine(dir, "all-summary.csv"));
        Assert.Contains(summary, l => l.StartsWith("\"passkey\",2048,100"));
        var pngs = EvalPlots.Save(results.Where(r => r.Task == EvalTask.Passkey).ToList(), dir, "passkey", depthGrid: true);
        Assert.Equal(3, pngs.Count);   // accuracy by length, by needle distance, one depth × length heatmap
        Assert.All(pngs, p => Assert.True(new FileInfo(p).Length > 5000, p));
    }
}
