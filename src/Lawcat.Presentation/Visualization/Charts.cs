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
    /// <param name="weights">The map, [T, T].</param>
    /// <param name="title">Plot title.</param>
    /// <param name="tokens">Token labels for both axes (used when there are at most 48).</param>
    /// <param name="max">Top of the colour scale (weights above it saturate); null = the map's maximum. Give maps shown
    /// side by side the same value so their colours compare.</param>
    public static Plot AttentionHeatmap(Tensor weights, string title, IReadOnlyList<string>? tokens = null, double? max = null)
    {
        var data = ToArray(weights);
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);   // row 0 (the first query) is drawn at the top, at y = T − 1
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        if (max is double top) hm.ManualRange = new ScottPlot.Range(0, top);
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
        else
        {
            int step = Math.Max(1, (int)Math.Ceiling(t / 8.0));
            var rows = Enumerable.Range(0, t).Where(i => i % step == 0).ToArray();
            plt.Axes.Left.SetTicks(rows.Select(i => (double)(t - 1 - i)).ToArray(), rows.Select(i => i.ToString()).ToArray());
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

    /// <summary>
    /// Several named series of (x, y) points as lines with markers, e.g. accuracy against length per model. With
    /// <paramref name="logX"/> the x axis is log2 with the data's x values as ticks; with <paramref name="logY"/> the y
    /// axis is log10 (non-positive values are dropped).
    /// </summary>
    public static Plot Lines(IEnumerable<(string Name, double[] X, double[] Y)> lines, string title, string xLabel, string yLabel, bool logX = false, bool logY = false)
    {
        var series = lines.ToList();
        // On a log2 x axis a length of 0 (e.g. BABILong without distractor text) sits one step left of the smallest length.
        double smallest = series.SelectMany(s => s.X).Where(v => v > 0).DefaultIfEmpty(1).Min();
        double X(double v) => !logX ? v : v > 0 ? Math.Log2(v) : Math.Log2(smallest) - 1;
        var plt = new Plot();
        foreach (var (name, x, y) in series)
        {
            var points = x.Zip(y).Where(p => !logY || p.Second > 0).ToArray();
            var s = plt.Add.Scatter(points.Select(p => X(p.First)).ToArray(), points.Select(p => logY ? Math.Log10(p.Second) : p.Second).ToArray());
            s.LegendText = name;
            s.MarkerSize = 7;
        }
        if (logY) UseLogTicks(plt.Axes.Left, series.SelectMany(s => s.Y));
        var xs = series.SelectMany(s => s.X).Distinct().Order().ToArray();
        if (!logX && xs.Length is > 0 and <= 24 && xs.All(x => x == Math.Round(x)))   // layer indices and the like: one tick each
            plt.Axes.Bottom.SetTicks(xs, xs.Select(x => x.ToString("0", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        if (logX)
        {
            var ticks = series.SelectMany(s => s.X).Distinct().OrderBy(v => v).ToArray();
            plt.Axes.Bottom.SetTicks(ticks.Select(X).ToArray(), ticks.Select(v => v >= 1024 && v % 1024 == 0 ? $"{v / 1024}K" : v.ToString("G4")).ToArray());
        }
        plt.Title(title);
        plt.Axes.Bottom.Label.Text = xLabel;
        plt.Axes.Left.Label.Text = yLabel;
        // Off the data: inside, a legend covers points in a corner (e.g. accuracy 0 at the longest length). Below, a few
        // entries keep the plot as wide as its title; many go beside it, where a column of them fits.
        plt.ShowLegend(series.Count > 4 ? Edge.Right : Edge.Bottom);
        return plt;
    }

    /// <summary>
    /// One stage of one run: its training loss at every update and its held-out loss where it was measured, against the
    /// update, on a log10 y axis when <paramref name="logY"/> (stage-1 losses fall by orders of magnitude).
    /// </summary>
    /// <param name="records">The run's metrics records (metrics.jsonl).</param>
    /// <param name="stage">The stage number the records carry (0 for a run without stages, e.g. pretraining).</param>
    /// <param name="title">Plot title.</param>
    /// <param name="logY">Log10 y axis.</param>
    public static Plot StageCurves(IReadOnlyList<JsonObject> records, int stage, string title, bool logY)
    {
        (double[] X, double[] Y) Points(string key)
        {
            var points = records.Where(r => r[key] is not null && (r["stage"]?.GetValue<int>() ?? 0) == stage).ToList();
            return (points.Select(r => r["step"]!.GetValue<double>()).ToArray(), points.Select(r => r[key]!.GetValue<double>()).ToArray());
        }
        var training = Points("loss");
        var heldOut = Points("eval_loss");
        var series = new List<(string, double[], double[])> { ("training loss", training.X, training.Y) };
        if (heldOut.X.Length > 0) series.Add(("held-out loss", heldOut.X, heldOut.Y));
        var plt = Lines(series, title, "update", "loss" + (logY ? " (log scale)" : ""), logY: logY);
        var lines = plt.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        if (training.X.Length > 1) lines[0].MarkerSize = 0;   // one point per update: the line is the data
        return plt;
    }

    /// <summary>
    /// Training curves of several runs on one plot: <paramref name="key"/> (e.g. <c>loss</c> or <c>eval_loss</c>) of
    /// stage <paramref name="stage"/> against the update, one line per run, on a log10 y axis by default because
    /// stage-1 losses fall by orders of magnitude.
    /// </summary>
    public static Plot RunCurves(IEnumerable<(string Name, IReadOnlyList<JsonObject> Records)> runs, int stage, string key, string title, bool logY = true)
    {
        var series = runs.Select(r =>
        {
            var points = r.Records.Where(x => x[key] is not null && (x["stage"]?.GetValue<int>() ?? 0) == stage).ToList();
            return (r.Name, points.Select(x => x["step"]!.GetValue<double>()).ToArray(), points.Select(x => x[key]!.GetValue<double>()).ToArray());
        }).ToList();
        var plt = Lines(series, title, "update", key + (logY ? " (log scale)" : ""), logY: logY);
        foreach (var s in plt.GetPlottables().OfType<ScottPlot.Plottables.Scatter>()) s.MarkerSize = 0;
        return plt;
    }

    /// <summary>
    /// Token labels for attention-map axes: each id decoded on its own, with spaces and line breaks made visible and
    /// long (special) tokens cut to 8 characters.
    /// </summary>
    public static List<string> TokenLabels(Lawcat.Tokenization.ITokenizer tokenizer, IEnumerable<int> ids) =>
        ids.Select(id => tokenizer.Decode(new[] { id }).Replace(" ", "·").Replace("\n", "\\n"))
            .Select(s => s.Length == 0 ? "''" : s.Length > 8 ? s[..7] + "…" : s).ToList();

    /// <summary>
    /// Several plots in one PNG, <paramref name="columns"/> per row, each rendered at
    /// <paramref name="cellWidth"/> × <paramref name="cellHeight"/> (e.g. every head of a layer, teacher above student).
    /// </summary>
    public static byte[] Grid(IReadOnlyList<Plot> plots, int columns, int cellWidth = 320, int cellHeight = 300)
    {
        if (plots.Count == 0) throw new ArgumentException("no plots to lay out", nameof(plots));
        columns = Math.Clamp(columns, 1, plots.Count);
        int rows = (plots.Count + columns - 1) / columns;
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(columns * cellWidth, rows * cellHeight));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        for (int i = 0; i < plots.Count; i++)
        {
            using var image = SkiaSharp.SKImage.FromEncodedData(Png(plots[i], cellWidth, cellHeight));
            surface.Canvas.DrawImage(image, i % columns * cellWidth, i / columns * cellHeight);
        }
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// Labels a log10 axis with round values inside the data's range: powers of ten when the data span several, else
    /// 1-2-5 or 1…9 times a power of ten, else evenly spaced round values (a short run's losses may differ by a few percent),
    /// so the axis always carries at least two numbers.
    /// </summary>
    static void UseLogTicks(ScottPlot.IAxis axis, IEnumerable<double> values)
    {
        var positive = values.Where(v => v > 0 && double.IsFinite(v)).ToList();
        if (positive.Count == 0) return;
        double min = positive.Min(), max = positive.Max();
        if (max <= min * 1.0001) (min, max) = (min * 0.9, max * 1.1);
        var ticks = LogTickValues(min, max);
        axis.SetTicks(ticks.Select(t => Math.Log10(t.Value)).ToArray(), ticks.Select(t => t.Label).ToArray());
    }

    /// <summary>Round values from <paramref name="min"/> to <paramref name="max"/> for a log axis (see <see cref="UseLogTicks"/>).</summary>
    static List<(double Value, string Label)> LogTickValues(double min, double max)
    {
        int low = (int)Math.Floor(Math.Log10(min)), high = (int)Math.Ceiling(Math.Log10(max));
        foreach (var mantissas in new[] { new[] { 1.0 }, new[] { 1.0, 2, 5 }, new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 } })
        {
            var ticks = Enumerable.Range(low, high - low + 1).SelectMany(k => mantissas.Select(m => m * Math.Pow(10, k)))
                .Where(v => v >= min * 0.9999 && v <= max * 1.0001).ToList();
            if (ticks.Count >= 3) return ticks.Select(v => (v, Number(v))).ToList();
        }
        // Steps of 1, 2, 2.5 or 5 times a power of ten, at most twice a fifth of the range: at least two ticks.
        double raw = (max - min) / 5, unit = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 2.5, 5, 10 }.Select(m => m * unit).First(v => v >= raw * 0.999);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9) + (Math.Abs(step / unit - 2.5) < 1e-9 ? 1 : 0));
        var even = new List<(double, string)>();
        for (long i = (long)Math.Ceiling(min / step); i * step <= max * 1.0001; i++)
            even.Add((i * step, (i * step).ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture)));
        return even;
    }

    /// <summary>An axis number: plain digits from 0.001 to 99,999 (3 significant), else scientific.</summary>
    static string Number(double v)
    {
        if (v == 0) return "0";
        if (Math.Abs(v) is < 1e-3 or >= 1e5) return v.ToString("0.##E+0", System.Globalization.CultureInfo.InvariantCulture);
        double unit = Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(v))) - 2);
        return (Math.Round(v / unit) * unit).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Lines with markers as <see cref="Lines"/> draws them, each point with an error bar from
    /// <see cref="IntervalSeries.Low"/> to <see cref="IntervalSeries.High"/> in its line's colour.
    /// </summary>
    public static Plot LinesWithIntervals(IReadOnlyList<IntervalSeries> series, string title, string xLabel, string yLabel, bool logX = false)
    {
        var plt = Lines(series.Select(s => (s.Name, s.X, s.Y)), title, xLabel, yLabel, logX);
        var lines = plt.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        for (int i = 0; i < lines.Count; i++)
        {
            var points = lines[i].Data.GetScatterPoints();
            var (ys, low, high) = (series[i].Y, series[i].Low, series[i].High);
            var bars = plt.Add.ErrorBar(points.Select(p => p.X).ToArray(), ys, new double[ys.Length]);
            bars.YErrorNegative = ys.Zip(low, (y, l) => y - l).ToArray();
            bars.YErrorPositive = ys.Zip(high, (y, h) => h - y).ToArray();
            bars.Color = lines[i].Color;
        }
        return plt;
    }

    /// <summary>
    /// Accuracy (%) against prompt length, one line per model (and task when there are several), each point with its
    /// Wilson 95% interval; the legend gives each line's samples per point.
    /// </summary>
    public static Plot AccuracyByLength(IReadOnlyList<EvalResult> results, string title) =>
        Accuracy(AccuracyTable.ByLength(results), title + " (95% Wilson intervals)", "prompt length (tokens)", r => r.Order, logX: true);

    /// <summary>
    /// Accuracy (%) by needle-distance bin (prompt tokens after the needle), one line per model and task, each point with
    /// its Wilson 95% interval, at the bin's upper edge on a log axis.
    /// </summary>
    public static Plot AccuracyByDistance(IReadOnlyList<EvalResult> results, string title)
    {
        var withNeedle = results.Where(r => r.NeedleDistance is not null).ToList();
        var edges = withNeedle.Count == 0 ? new List<DistanceBin>()
            : DistanceBins.For(withNeedle.Select(r => r.TargetLength), withNeedle.Max(r => r.NeedleDistance!.Value)).ToList();
        return Accuracy(AccuracyTable.ByDistance(results), title + " (95% Wilson intervals)", "needle distance: tokens after the needle (bin's upper edge)",
            r => edges.First(b => b.Low == r.Order).High, logX: true);
    }

    static Plot Accuracy(IReadOnlyList<AccuracyRow> rows, string title, string xLabel, Func<AccuracyRow, double> x, bool logX)
    {
        bool manyTasks = rows.Select(r => r.Task).Distinct().Count() > 1;
        var series = rows.SelectMany(r => r.Models.Select(m => (Row: r, m.Model, m.Accuracy)))
            .GroupBy(c => (c.Model, c.Row.Task))
            .Select(g =>
            {
                var points = g.OrderBy(c => x(c.Row)).ToList();
                var counts = points.Select(c => c.Accuracy.Trials).Distinct().Order().ToList();
                var n = counts.Count == 1 ? $"n={counts[0]}" : $"n={counts[0]}–{counts[^1]}";
                return new IntervalSeries($"{(manyTasks ? $"{g.Key.Model} {g.Key.Task}" : g.Key.Model)} ({n})",
                    points.Select(c => x(c.Row)).ToArray(), points.Select(c => c.Accuracy.Rate * 100).ToArray(),
                    points.Select(c => c.Accuracy.Wilson95.Low * 100).ToArray(), points.Select(c => c.Accuracy.Wilson95.High * 100).ToArray());
            }).ToList();
        var plt = LinesWithIntervals(series, title, xLabel, "accuracy (%)", logX);
        plt.Axes.SetLimitsY(-5, 105);
        return plt;
    }

    /// <summary>The needle-in-a-haystack heatmap: accuracy per depth (rows, 0 at the top) and length (columns); the title gives the samples per cell.</summary>
    public static Plot DepthLengthHeatmap(IReadOnlyList<EvalResult> results, string title)
    {
        var lengths = results.Select(r => r.TargetLength).Distinct().OrderBy(x => x).ToList();
        var depths = results.Where(r => r.Depth is not null).Select(r => Math.Round(r.Depth!.Value, 3)).Distinct().OrderBy(x => x).ToList();
        var data = new double[depths.Count, lengths.Count];
        var counts = new SortedSet<int>();
        for (int d = 0; d < depths.Count; d++)
            for (int l = 0; l < lengths.Count; l++)
            {
                var cell = results.Where(r => r.TargetLength == lengths[l] && r.Depth is double v && Math.Round(v, 3) == depths[d]).ToList();
                data[d, l] = cell.Count == 0 ? double.NaN : cell.Average(r => r.Score) * 100;
                if (cell.Count > 0) counts.Add(cell.Count);
            }
        var plt = new Plot();
        var hm = plt.Add.Heatmap(data);   // row 0 (the shallowest depth) is drawn at the top
        hm.Colormap = new ScottPlot.Colormaps.Turbo();
        hm.ManualRange = new ScottPlot.Range(0, 100);
        plt.Add.ColorBar(hm).Label = "accuracy (%)";
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, lengths.Count).Select(i => (double)i).ToArray(), lengths.Select(l => l >= 1024 && l % 1024 == 0 ? $"{l / 1024}K" : l.ToString()).ToArray());
        plt.Axes.Left.SetTicks(Enumerable.Range(0, depths.Count).Select(i => (double)(depths.Count - 1 - i)).ToArray(), depths.Select(d => $"{d * 100:F0}%").ToArray());
        plt.Axes.Bottom.Label.Text = "prompt length (tokens)";
        plt.Axes.Left.Label.Text = "needle depth";
        plt.Title(counts.Count == 0 ? title : $"{title} (n={string.Join("/", counts)} per cell)");
        return plt;
    }

    /// <summary>The plot as PNG bytes.</summary>
    public static byte[] Png(Plot plot, int width = 640, int height = 420) => plot.GetImageBytes(width, height, ImageFormat.Png);

    /// <summary>Writes the plot as a PNG file.</summary>
    public static string Save(Plot plot, string path, int width = 640, int height = 420)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, Png(plot, width, height));
        File.Move(temporary, path, overwrite: true);
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

/// <summary>One line of <see cref="Charts.LinesWithIntervals"/>: points and the interval around each.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values.</param>
/// <param name="Low">Lower end of each point's interval.</param>
/// <param name="High">Upper end of each point's interval.</param>
public sealed record IntervalSeries(string Name, double[] X, double[] Y, double[] Low, double[] High);

/// <summary>The standard plots of an evaluation run.</summary>
public static class EvalPlots
{
    /// <summary>
    /// Writes accuracy by length, accuracy by needle distance (when samples have a needle) and, when the samples sit on
    /// a depth grid, one depth × length heatmap per model and task into <paramref name="dir"/>.
    /// </summary>
    public static List<string> Save(IReadOnlyList<EvalResult> results, string dir, string name, bool depthGrid)
    {
        var files = new List<string> { Charts.Save(Charts.AccuracyByLength(results, $"{name}: accuracy by length"), Path.Combine(dir, $"{name}-accuracy.png")) };
        if (results.Any(r => r.NeedleDistance is not null))
            files.Add(Charts.Save(Charts.AccuracyByDistance(results, $"{name}: accuracy by needle distance"), Path.Combine(dir, $"{name}-distance.png")));
        if (depthGrid)
            foreach (var g in results.GroupBy(r => (r.Model, r.Task)))
                files.Add(Charts.Save(Charts.DepthLengthHeatmap(g.ToList(), $"{g.Key.Task}: {g.Key.Model}"), Path.Combine(dir, $"{name}-{g.Key.Task}-{g.Key.Model}-heatmap.png")));
        return files;
    }

    /// <summary>
    /// True when the samples sit on a depth grid, as <c>--depths N</c> puts them: the depths are
    /// <see cref="DepthGrid.Even"/>(N) for some N ≥ 2, there are at least two lengths, and every length has every depth
    /// with the same number of samples. Depths drawn at random get no heatmap (it would be a scatter of single samples),
    /// even where each sample index draws the same depth at every length.
    /// </summary>
    public static bool OnDepthGrid(IReadOnlyList<EvalResult> results)
    {
        if (results.Count == 0 || results.Any(r => r.Depth is null)) return false;
        var cells = results.GroupBy(r => (r.TargetLength, Depth: Math.Round(r.Depth!.Value, 3))).ToList();
        var depths = cells.Select(c => c.Key.Depth).Distinct().Order().ToList();
        int lengths = cells.Select(c => c.Key.TargetLength).Distinct().Count();
        return depths.Count > 1 && lengths > 1 && depths.SequenceEqual(DepthGrid.Even(depths.Count).Select(d => Math.Round(d, 3)))
            && cells.Count == depths.Count * lengths && cells.Select(c => c.Count()).Distinct().Count() == 1;
    }
}
