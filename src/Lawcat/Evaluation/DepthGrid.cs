namespace Lawcat.Evaluation;

/// <summary>Needle depths (fractions 0..1 of the haystack) for sweeps and heatmaps.</summary>
public static class DepthGrid
{
    /// <summary>
    /// RULER's 40 depths, <c>np.round(np.linspace(0, 100, 40))</c> percent: 0, 0.03, 0.05, 0.08, ... 1. RULER's essay
    /// haystacks draw one of them per sample.
    /// </summary>
    public static IReadOnlyList<double> Ruler { get; } =
        Enumerable.Range(0, 40).Select(i => Math.Round(100.0 * i / 39) / 100).ToArray();

    /// <summary><paramref name="count"/> evenly spaced depths from 0 to 1 inclusive (11 gives 0, 0.1, ... 1).</summary>
    public static IReadOnlyList<double> Even(int count) =>
        count switch
        {
            < 1 => throw new ArgumentOutOfRangeException(nameof(count), "need at least one depth"),
            1 => new[] { 0.0 },
            _ => Enumerable.Range(0, count).Select(i => (double)i / (count - 1)).ToArray(),
        };

    /// <summary>The haystack unit at <paramref name="depth"/> of <paramref name="units"/>: floor(depth × units), as RULER computes it.</summary>
    public static int UnitIndex(double depth, int units) =>
        depth is >= 0 and <= 1
            ? (int)(units * depth)
            : throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth is a fraction from 0 to 1");
}
