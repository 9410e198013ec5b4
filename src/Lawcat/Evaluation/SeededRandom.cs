namespace Lawcat.Evaluation;

/// <summary>
/// A small deterministic generator (SplitMix64). Ours rather than <see cref="Random"/> so that a seed gives the same
/// samples on every .NET version and platform, forever.
/// </summary>
public sealed class SeededRandom
{
    ulong _state;

    /// <summary>A generator whose whole output is fixed by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>
    /// A generator for one sample: its stream depends on every part (e.g. the run's seed, the sample's index and a
    /// stream name), so samples and their separate draws stay independent of one another.
    /// </summary>
    public static SeededRandom For(params long[] parts)
    {
        ulong state = 0x5EED_1A3C_A7D1_57E1UL;
        foreach (var part in parts) state = Mix(state ^ Mix((ulong)part + 0x9E3779B97F4A7C15UL));
        return new SeededRandom(state);
    }

    /// <summary>A stable number for a stream name, for <see cref="For"/>.</summary>
    public static long Stream(string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (var c in name) h = (h ^ c) * 1099511628211UL;
        return (long)h;
    }

    /// <summary>64 uniform random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "must be positive");
        var bound = (ulong)maxExclusive;
        var limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return (int)(x % bound);
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="maxInclusive"/>].</summary>
    public int NextInclusive(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>A uniformly chosen element.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
