using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>
/// Finds the largest amount of filler (characters, words, lines, ...) whose prompt still fits a token target, by
/// bracketing around an estimate and bisecting. The result fits and one more unit does not, so it falls short of the
/// target by less than the tokens of one unit (assuming, as for any sane tokenizer, that more filler is not fewer
/// tokens).
/// </summary>
internal static class LengthSearch
{
    /// <summary>The chosen amount, the draft built from it and the draft's prompt length in tokens.</summary>
    public readonly record struct Fit<T>(int Amount, T Draft, int Tokens);

    /// <summary>
    /// The largest amount whose draft's prompt is at most <paramref name="target"/> tokens, or amount 0 when even
    /// that is too long (the caller reports it). <paramref name="probe"/> is an amount used to estimate tokens per unit.
    /// </summary>
    public static Fit<T> Largest<T>(Func<int, T> build, Func<T, string> promptOf, ITokenizer tok, int target, int probe)
    {
        var cache = new Dictionary<int, Fit<T>>();
        Fit<T> At(int amount)
        {
            if (!cache.TryGetValue(amount, out var fit))
            {
                var draft = build(amount);
                cache[amount] = fit = new Fit<T>(amount, draft, tok.Encode(promptOf(draft)).Count);
            }
            return fit;
        }

        var empty = At(0);
        if (empty.Tokens > target) return empty;
        var (lo, hi) = Bracket(n => At(n).Tokens <= target, Estimate(empty.Tokens, At(probe), target));
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            if (At(mid).Tokens <= target) lo = mid; else hi = mid;
        }
        return At(lo);
    }

    /// <summary>Amount expected to reach the target, from the slope between amount 0 and the probe.</summary>
    static int Estimate<T>(int emptyTokens, Fit<T> probe, int target)
    {
        var perUnit = Math.Max(probe.Tokens - emptyTokens, 1) / (double)Math.Max(probe.Amount, 1);
        return (int)Math.Clamp((target - emptyTokens) / perUnit, 1, int.MaxValue / 4);
    }

    /// <summary>An amount that fits (lo) and a larger one that does not (hi), stepping out from the guess.</summary>
    static (int Lo, int Hi) Bracket(Func<int, bool> fits, int guess)
    {
        var step = Math.Max(1, guess / 128);
        if (fits(guess))
        {
            for (var lo = guess; ; step *= 2)
            {
                var next = Grow(lo, step);
                if (!fits(next)) return (lo, next);
                lo = next;
            }
        }
        for (var hi = guess; ; step *= 2)
        {
            var next = Math.Max(0, hi - step);
            if (fits(next)) return (next, hi);
            hi = next;
        }
    }

    static int Grow(int amount, int step) =>
        amount <= int.MaxValue / 2 - step
            ? amount + step
            : throw new InvalidOperationException("the prompt does not grow with more filler; is the tokenizer counting it?");
}
