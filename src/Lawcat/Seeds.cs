namespace Lawcat;

/// <summary>
/// Deterministic seed derivation (SplitMix64). Unlike <see cref="HashCode"/>, whose seed changes per process, the
/// same inputs give the same seed on every run, which resuming depends on.
/// </summary>
public static class Seeds
{
    /// <summary>A 32-bit seed mixed from <paramref name="parts"/>.</summary>
    public static int Combine(params long[] parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts) h = Mix(h ^ (ulong)p);
        return (int)(h & 0x7fffffff);
    }

    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
