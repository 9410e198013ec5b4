using Lawcat.Evaluation;
using Lawcat.Visualization;
using ScottPlot;
using SkiaSharp;
using static TorchSharp.torch;

namespace Lawcat.Tests.Visualization;

/// <summary>Heatmaps draw their first row at the top, where their labels say it is.</summary>
[Trait("Category", "Visualization")]
public class ChartsTests
{
    /// <summary>The colour at a fraction (0..1, from the top left) of the plot's data area.</summary>
    static SKColor At(Plot plot, double fx, double fy)
    {
        using var bitmap = SKBitmap.Decode(Charts.Png(plot, 640, 480));
        var area = plot.LastRender.DataRect;
        return bitmap.GetPixel((int)(area.Left + fx * area.Width), (int)(area.Top + fy * area.Height));
    }

    [Fact]
    public void TheFirstQueryIsTheTopRowOfAnAttentionMap()
    {
        var map = zeros(4, 4);
        map[0, 0] = tensor(1f);
        var plot = Charts.AttentionHeatmap(map, "one hot");
        var top = At(plot, 0.1, 0.1);
        var bottom = At(plot, 0.1, 0.9);
        Assert.True(top.Red + top.Green > bottom.Red + bottom.Green + 200, $"top-left {top}, bottom-left {bottom}");
        Assert.Equal("0", plot.Axes.Left.TickGenerator.Ticks.MaxBy(t => t.Position).Label);
    }

    /// <summary>
    /// A stage's chart names its two lines for what they are and numbers its y axis even when the losses span less than
    /// a decade on the log axis (as a short run's held-out losses do).
    /// </summary>
    [Fact]
    public void AStageChartHasNumberedAxesAndNamesItsLines()
    {
        var records = new List<System.Text.Json.Nodes.JsonObject>();
        for (int step = 1; step <= 6; step++)
        {
            records.Add(System.Text.Json.Nodes.JsonNode.Parse($"{{\"stage\":1,\"step\":{step},\"loss\":{95 - step}.5}}")!.AsObject());
            if (step % 2 == 0) records.Add(System.Text.Json.Nodes.JsonNode.Parse($"{{\"stage\":1,\"step\":{step},\"eval_loss\":{92 - step}.25}}")!.AsObject());
        }
        var plot = Charts.StageCurves(records, 1, "stage 1", logY: true);
        Charts.Png(plot);   // ticks are made when the plot renders
        Assert.Equal(new[] { "training loss", "held-out loss" }, plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText));
        var labels = plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor && t.Label.Length > 0).Select(t => double.Parse(t.Label, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(labels.Count >= 2, $"y axis labels: {string.Join(", ", labels)}");
        Assert.All(labels, v => Assert.InRange(v, 80, 100));
        Assert.True(plot.Axes.Bottom.TickGenerator.Ticks.Count(t => t.IsMajor && t.Label.Length > 0) >= 2);
    }

    [Fact]
    public void TheShallowestDepthIsTheTopRowOfANeedleHeatmap()
    {
        var results = (from length in new[] { 100, 200 }
                       from depth in new[] { 0.0, 1.0 }
                       select new EvalResult("m", EvalTask.Passkey, length, length, depth, 0, depth == 0 ? 1 : 0, "", "", 0)).ToList();
        var plot = Charts.DepthLengthHeatmap(results, "depth 0 right, depth 1 wrong");
        var top = At(plot, 0.5, 0.25);
        var bottom = At(plot, 0.5, 0.75);
        Assert.True(top.Red > bottom.Red + 50 && top.Blue + 30 < bottom.Blue, $"top {top} should be the 100% colour, bottom {bottom} the 0% one");
        Assert.Equal("0%", plot.Axes.Left.TickGenerator.Ticks.MaxBy(t => t.Position).Label);
    }
}
