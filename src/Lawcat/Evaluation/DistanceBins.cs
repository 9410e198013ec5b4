using System.Globalization;

namespace Lawcat.Evaluation;

/// <summary>A range of needle distances in tokens, [Low, High).</summary>
/// <param name="Low">Smallest distance in the bin.</param>
/// <param name="High">One past the largest distance in the bin.</param>
public sealed record DistanceBin(int Low, int High)
{
    /// <summary>Whether <paramref name="distance"/> falls in the bin.</summary>
    public bool Contains(int distance) => distance >= Low && distance < High;

    /// <summary>The bin as text: <c>256–511</c>.</summary>
    public string Label => string.Create(CultureInfo.InvariantCulture, $"{Low}–{High - 1}");
}

/// <summary>
/// Needle-distance bins that double in width: [0, f), [f, 2f), [2f, 4f), ... with f half the shortest evaluated length,
/// so that the same lengths give the same bins in every command, and the bins line up with a length sweep in powers of
/// two (with the distillation length as the shortest length, the first two bins hold the distances it trained on).
/// </summary>
public static class DistanceBins
{
    /// <summary>Bins for results at <paramref name="lengths"/> reaching <paramref name="maxDistance"/>.</summary>
    public static IReadOnlyList<DistanceBin> For(IEnumerable<int> lengths, int maxDistance)
    {
        int shortest = lengths.Where(l => l > 1).DefaultIfEmpty(2).Min();
        return Doubling(Math.Max(1, shortest / 2), maxDistance);
    }

    /// <summary>[0, <paramref name="first"/>), then doubling bins until one holds <paramref name="maxDistance"/>.</summary>
    public static IReadOnlyList<DistanceBin> Doubling(int first, int maxDistance)
    {
        if (first < 1) throw new ArgumentOutOfRangeException(nameof(first), first, "the first bin's width must be ≥ 1");
        var bins = new List<DistanceBin> { new(0, first) };
        while (bins[^1].High <= maxDistance) bins.Add(new DistanceBin(bins[^1].High, (int)Math.Min(int.MaxValue, 2L * bins[^1].High)));
        return bins;
    }

    /// <summary>The bin of <paramref name="distance"/>.</summary>
    public static DistanceBin Of(IReadOnlyList<DistanceBin> bins, int distance) =>
        bins.FirstOrDefault(b => b.Contains(distance)) ?? throw new ArgumentOutOfRangeException(nameof(distance), distance, "outside every bin");
}
