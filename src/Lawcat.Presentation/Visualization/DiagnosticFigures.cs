using System.Globalization;
using Lawcat.Diagnostics;
using ScottPlot;
using static TorchSharp.torch;

namespace Lawcat.Visualization;

/// <summary>
/// The plots of the diagnostics (<see cref="Lawcat.Diagnostics"/> measures, this draws): gate memory spectra,
/// needle attention against distance, attention locality and attention-transfer error per layer.
/// </summary>
public static class DiagnosticFigures
{
    /// <summary>
    /// A gate's memory spectrum (<see cref="GateMemory"/>): one line per layer and head, its dimensions' memories
    /// sorted, on a log axis, with a dashed line at <paramref name="horizon"/> tokens (infinite memories, decays of
    /// exactly 1, are left out).
    /// </summary>
    public static Plot GateMemorySpectrum(IReadOnlyList<HeadMemory> heads, int horizon, string title)
    {
        var plt = Charts.Lines(heads.Select(h => h.Memory.Where(double.IsFinite).Order().ToArray())
                .Select((m, i) => ($"L{heads[i].Layer} h{heads[i].Head}", Enumerable.Range(0, m.Length).Select(x => (double)x).ToArray(), m)),
            title, "feature dimension (sorted by memory)", "effective memory 1/(1 − a), tokens (log scale)", logY: true);
        foreach (var s in plt.GetPlottables().OfType<ScottPlot.Plottables.Scatter>()) s.MarkerSize = 3;
        var line = plt.Add.HorizontalLine(Math.Log10(horizon));
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{horizon} tokens");
        return plt;
    }

    /// <summary>
    /// Mean needle mass (<see cref="NeedleAttention"/>) against the needle's distance (bin's upper edge, log axis), one
    /// line per model and head of <paramref name="heads"/>.
    /// </summary>
    public static Plot NeedleMassByDistance(IReadOnlyList<NeedleMass> masses, IReadOnlyList<(int Layer, int Head)> heads, string title)
    {
        var series = NeedleAttention.MeanByDistance(masses, heads).GroupBy(c => (c.Model, c.Head))
            .Select(g => ($"{g.Key.Model} L{g.Key.Head.Layer} h{g.Key.Head.Head}", g.Select(c => (double)c.Bin.High).ToArray(), g.Select(c => c.Mean).ToArray()));
        var plt = Charts.Lines(series, title, "needle distance: tokens after the needle (bin's upper edge)", "attention mass on the answer's tokens", logX: true);
        plt.Axes.SetLimitsY(-0.05, 1.05);
        return plt;
    }

    /// <summary>
    /// One locality measure (<see cref="AttentionLocality"/>) per layer, the mean over heads of
    /// <paramref name="measure"/>, one line per model; each model is its maps [H, T, T] by layer.
    /// </summary>
    public static Plot LocalityByLayer(IReadOnlyList<(string Name, IReadOnlyList<Tensor> Layers)> models, Func<Tensor, double[]> measure, string title, string yLabel) =>
        Charts.Lines(models.Select(m => (m.Name, Enumerable.Range(0, m.Layers.Count).Select(l => (double)l).ToArray(), m.Layers.Select(w => measure(w).Average()).ToArray())),
            title, "layer", yLabel);

    /// <summary>Attention-transfer relative error (<see cref="AttentionTransferError"/>) per layer, one line per model (log scale).</summary>
    public static Plot TransferErrorByLayer(IReadOnlyList<(string Name, IReadOnlyList<LayerTransferError> Errors)> models) =>
        Charts.Lines(models.Select(m => (m.Name, m.Errors.Select(e => (double)e.Layer).ToArray(), m.Errors.Select(e => e.RelativeError).ToArray())),
            "attention-transfer relative error per layer (held-out text)", "layer", "Σ(student − teacher)² / Σ teacher² (log scale)", logY: true);
}
