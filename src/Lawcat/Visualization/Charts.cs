using System.Text.Json.Nodes;
using Lawcat.Evaluation;
using ScottPlot;
using static TorchSharp.torch;

namespace Lawcat.Visualization;

/// <summary>
/// The workbench's plots, as ScottPlot figures that render to PNG (which works in notebooks, headless runs and files):
/// attention-map heatmaps, loss curves, accuracy against length, and the depth × length heatmap of needle tests.
/// </summary>
public static class Charts
{
    /// <summary>A heatmap of one attention map [T, T] (row = query, column = key), with token labels for short prompts.</summary>
    public static Plot AttentionHeatmap(Tensor weights, string title, IReadOnlyList<string>? tokens = null)
    {
        var data = ToArray(weights);
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);
        hm.FlipVertically = true;
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plt.Add.ColorBar(hm);
        plt.Title(title);
        plt.Axes.Bottom.Label.Text = "key position";
        plt.Axes.Left.Label.Text = "query position";
        int t = data.GetLength(0);
        if (tokens is not null && tokens.Count == t && t <= 48)
        {
            var xs = Enumerable.Range(0, t).Select(i => (double)i).ToArray();
            plt.Axes.Bottom.SetTicks(xs, tokens.ToArray());
            plt.Axes.Left.SetTicks(xs.Select(x => t - 1 - x).ToArray(), tokens.ToArray());
            plt.Axes.Bottom.TickLabelStyle.Rotation = 90;
            plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        }
        return plt;
    }

    /// <summary>Loss curves from metrics records (JSON lines of a run): one line per stage for <paramref name="key"/>.</summary>
    public static Plot LossCurves(IReadOnlyList<JsonObject> records, string key = "loss", string? title = null)
    {
        var plt = new Plot();
        foreach (var stage in records.Where(r => r[key] is not null).GroupBy(r => r["stage"]?.GetValue<int>() ?? 0))
        {
            var xs = stage.Select(r => r["step"]!.GetValue<double>()).ToArray();
            var ys = stage.Select(r => r[key]!.GetValue<double>()).ToArray();
            var line = plt.Add.ScatterLine(xs, ys);
            line.LegendText = stage.Key == 0 ? key : $"stage {stage.Key} {key}";
        }
        plt.Axes.Bottom.Label.Text = "update";
        plt.Axes.Left.Label.Text = key;
        plt.Title(title ?? key);
        plt.ShowLegend();
        return plt;
    }

    /// <summary>Several named series of (x, y) points as lines with markers, e.g. accuracy against length per model.</summary>
    public static Plot Lines(IEnumerable<(string Name, double[] X, double[] Y)> series, string title, string xLabel, string yLabel, bool logX = false)
    {
        var plt = new Plot();
        foreach (var (name, x, y) in series)
        {
            var s = plt.Add.Scatter(logX ? x.Select(Math.Log2).ToArray() : x, y);
            s.LegendText = name;
            s.MarkerSize = 7;
        }
        if (logX)
        {
            var ticks = series.SelectMany(s => s.X).Distinct().OrderBy(v => v).ToArray();
            plt.Axes.Bottom.SetTicks(ticks.Select(Math.Log2).ToArray(), ticks.Select(v => v >= 1024 && v % 1024 == 0 ? $"{v / 1024}K" : v.ToString("G4")).ToArray());
        }
        plt.Title(title);
        plt.Axes.Bottom.Label.Text = xLabel;
        plt.Axes.Left.Label.Text = yLabel;
        plt.ShowLegend();
        return plt;
    }

    /// <summary>Accuracy (%) against prompt length, one line per model (and task when there are several).</summary>
    public static Plot AccuracyByLength(IReadOnlyList<EvalResult> results, string title)
    {
        bool manyTasks = results.Select(r => r.Task).Distinct().Count() > 1;
        var series = results.GroupBy(r => (r.Model, r.Task)).Select(g =>
        {
            var points = g.GroupBy(r => r.TargetLength).OrderBy(p => p.Key).ToList();
            return (manyTasks ? $"{g.Key.Model} {g.Key.Task}" : g.Key.Model, points.Select(p => (double)p.Key).ToArray(), points.Select(p => p.Average(r => r.Score) * 100).ToArray());
        });
        var plt = Lines(series, title, "prompt length (tokens)", "accuracy (%)", logX: true);
        plt.Axes.SetLimitsY(-5, 105);
        return plt;
    }

    /// <summary>The needle-in-a-haystack heatmap: accuracy per depth (rows, 0 at the top) and length (columns).</summary>
    public static Plot DepthLengthHeatmap(IReadOnlyList<EvalResult> results, string title)
    {
        var lengths = results.Select(r => r.TargetLength).Distinct().OrderBy(x => x).ToList();
        var depths = results.Where(r => r.Depth is not null).Select(r => Math.Round(r.Depth!.Value, 3)).Distinct().OrderBy(x => x).ToList();
        var data = new double[depths.Count, lengths.Count];
        for (int d = 0; d < depths.Count; d++)
            for (int l = 0; l < lengths.Count; l++)
            {
                var cell = results.Where(r => r.TargetLength == lengths[l] && r.Depth is double v && Math.Round(v, 3) == depths[d]).ToList();
                data[d, l] = cell.Count == 0 ? double.NaN : cell.Average(r => r.Score) * 100;
            }
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);
        hm.FlipVertically = true;
        hm.Colormap = new ScottPlot.Colormaps.Turbo();
        hm.ManualRange = new ScottPlot.Range(0, 100);
        plt.Add.ColorBar(hm).Label = "accuracy (%)";
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, lengths.Count).Select(i => (double)i).ToArray(), lengths.Select(l => l >= 1024 && l % 1024 == 0 ? $"{l / 1024}K" : l.ToString()).ToArray());
        plt.Axes.Left.SetTicks(Enumerable.Range(0, depths.Count).Select(i => (double)(depths.Count - 1 - i)).ToArray(), depths.Select(d => $"{d * 100:F0}%").ToArray());
        plt.Axes.Bottom.Label.Text = "prompt length (tokens)";
        plt.Axes.Left.Label.Text = "needle depth";
        plt.Title(title);
        return plt;
    }

    /// <summary>The plot as PNG bytes.</summary>
    public static byte[] Png(Plot plot, int width = 640, int height = 420) => plot.GetImageBytes(width, height, ImageFormat.Png);

    /// <summary>Writes the plot as a PNG file.</summary>
    public static string Save(Plot plot, string path, int width = 640, int height = 420)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, Png(plot, width, height));
        return path;
    }

    static double[,] ToArray(Tensor t)
    {
        using var scope = NewDisposeScope();
        var c = t.to(ScalarType.Float64).cpu().contiguous();
        var (r, k) = ((int)c.shape[0], (int)c.shape[1]);
        var flat = c.data<double>().ToArray();
        var a = new double[r, k];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < k; j++) a[i, j] = flat[i * k + j];
        return a;
    }
}

/// <summary>The standard plots of an evaluation run.</summary>
public static class EvalPlots
{
    /// <summary>
    /// Writes accuracy-vs-length and, when the samples sit on a depth grid, one depth × length heatmap per model and
    /// task into <paramref name="dir"/>.
    /// </summary>
    public static List<string> Save(IReadOnlyList<EvalResult> results, string dir, string name, bool depthGrid)
    {
        var files = new List<string> { Charts.Save(Charts.AccuracyByLength(results, $"{name}: accuracy by length"), Path.Combine(dir, $"{name}-accuracy.png")) };
        if (depthGrid)
            foreach (var g in results.GroupBy(r => (r.Model, r.Task)))
                files.Add(Charts.Save(Charts.DepthLengthHeatmap(g.ToList(), $"{g.Key.Task}: {g.Key.Model}"), Path.Combine(dir, $"{name}-{g.Key.Task}-{g.Key.Model}-heatmap.png")));
        return files;
    }
}
