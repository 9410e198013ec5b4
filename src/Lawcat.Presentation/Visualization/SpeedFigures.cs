using Lawcat.Benchmarks;
using ScottPlot;

namespace Lawcat.Visualization;

/// <summary>The plots of speed measurements: whole models (<see cref="SpeedStudy"/>) and attention alone (<see cref="AttentionBenchmark"/>).</summary>
public static class SpeedFigures
{
    /// <summary>One quantity of the measurements against length, one line per model (log-log).</summary>
    public static Plot ByLength(IReadOnlyList<ModelSpeed> results, Func<ModelSpeed, double> value, string title, string yLabel) =>
        Charts.Lines(results.GroupBy(r => r.Model).Select(g => (g.Key, g.Select(r => (double)r.Length).ToArray(), g.Select(value).ToArray())),
            title, "context length (tokens)", yLabel, logX: true, logY: true);

    /// <summary>Attention latency against length, one line per method and pass (log-log); failed points are left out.</summary>
    public static Plot AttentionLatency(IReadOnlyList<BenchResult> results, string title) =>
        Charts.Lines(results.Where(r => r.Error is null).GroupBy(r => (r.Method, r.Pass))
            .Select(g => (g.Key.Pass == "forward" ? g.Key.Method : $"{g.Key.Method} ({g.Key.Pass})", g.Select(r => (double)r.Length).ToArray(), g.Select(r => r.Milliseconds).ToArray())),
            title, "sequence length (tokens)", "milliseconds (log scale)", logX: true, logY: true);
}
