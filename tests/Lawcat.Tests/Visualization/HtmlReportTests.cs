using System.Text.RegularExpressions;
using Lawcat.Evaluation;
using Lawcat.Tests.Notebooks;
using Lawcat.Visualization;

namespace Lawcat.Tests.Visualization;

/// <summary><c>lawcat report</c> turns a run folder into one offline HTML page with its tables and inline figures.</summary>
[Trait("Category", "Visualization")]
public class HtmlReportTests
{
    /// <summary>A run folder like distill's: options, two stages of metrics, and passkey results on a depth grid.</summary>
    static string RunFolder()
    {
        var dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "options.json"), "{ \"seed\": 0 }");
        var lines = new List<string>();
        for (int stage = 1; stage <= 2; stage++)
            for (int step = 1; step <= 6; step++)
            {
                lines.Add($"{{\"stage\":{stage},\"step\":{step},\"loss\":{(stage == 1 ? 10.0 / step : 3.0 - step * 0.1)}}}");
                if (step % 3 == 0) lines.Add($"{{\"stage\":{stage},\"step\":{step},\"eval_loss\":{(stage == 1 ? 9.0 / step : 2.9 - step * 0.1)},\"best\":true}}");
            }
        File.WriteAllLines(Path.Combine(dir, "metrics.jsonl"), lines);
        var results = (from model in new[] { "teacher", "student" }
                       from length in new[] { 256, 512 }
                       from depth in new[] { 0.0, 0.5, 1.0 }
                       select new EvalResult(model, EvalTask.Passkey, length, length, depth, 0, model == "teacher" || depth < 1 ? 1 : 0, "12345", "12345", 0.1)).ToList();
        EvalReport.Save(results, Path.Combine(dir, "passkey"));
        return dir;
    }

    [Fact]
    public void TheReportHoldsTheStagesTheResultsAndRealImages()
    {
        var dir = RunFolder();
        var html = File.ReadAllText(HtmlReport.Write(dir));
        Assert.Contains("<h2>Training</h2>", html);
        Assert.Contains("<h2>Evaluation: passkey</h2>", html);
        Assert.Contains("<tr><td>1</td><td>6</td><td>1.667</td><td>1.5</td></tr>", html);   // stage 1: last loss 10/6, best eval 9/6
        Assert.Contains("<tr><td>2</td><td>6</td><td>2.4</td><td>2.3</td></tr>", html);
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""));   // nothing loaded from the network
        var images = Regex.Matches(html, "data:image/png;base64,([A-Za-z0-9+/=]+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2 + 1 + 2, images.Count);   // training and held-out loss of 2 stages, accuracy by length, one heatmap per model
        foreach (var image in images)
        {
            var png = Path.Combine(dir, $"image-{Guid.NewGuid():N}.png");
            File.WriteAllBytes(png, Convert.FromBase64String(image));
            PngAssert.NonTrivial(png);
        }
    }

    [Fact]
    public void DepthsDrawnAtRandomGetNoHeatmap()
    {
        var dir = TestPaths.NewTempDir();
        var random = new Random(1);
        var results = (from length in new[] { 256, 512 }
                       from i in Enumerable.Range(0, 4)
                       select new EvalResult("teacher", EvalTask.Passkey, length, length, random.NextDouble(), i, 1, "1", "1", 0.1)).ToList();
        EvalReport.Save(results, Path.Combine(dir, "passkey"));
        var html = File.ReadAllText(HtmlReport.Write(dir));
        Assert.Single(Regex.Matches(html, "data:image/png;base64,"));   // accuracy by length only
        Assert.False(EvalPlots.OnDepthGrid(results));
        var grid = results.Select((r, i) => r with { Depth = i % 2 * 1.0 }).ToList();
        Assert.True(EvalPlots.OnDepthGrid(grid));
        Assert.False(EvalPlots.OnDepthGrid(grid.Skip(1).ToList()));   // one cell short of a grid
    }

    [Fact]
    public void TheCliWritesTheReport()
    {
        var dir = RunFolder();
        var page = Path.Combine(dir, "page.html");
        var (exit, output) = CliRunner.Run(new[] { "report", dir, "--out", page });
        Assert.True(exit == 0, output);
        Assert.Contains("<h2>Evaluation: passkey</h2>", File.ReadAllText(page));
    }

    [Fact]
    public void AFolderWithoutRunFilesIsAClearError()
    {
        var (exit, output) = CliRunner.Run(new[] { "report", TestPaths.NewTempDir() });
        Assert.Equal(1, exit);
        Assert.Contains("nothing to report", output);
    }
}
