namespace Lawcat.Statistics;

/// <summary>
/// The upper tail of the chi-square distribution with one degree of freedom, P(X ≥ x) = Q(1/2, x/2) (the regularized
/// upper incomplete gamma function), to about 1e-14 relative: by its series below x/2 = 1.5 and by its continued
/// fraction (modified Lentz) above, as in Numerical Recipes §6.2.
/// </summary>
public static class ChiSquare
{
    const double A = 0.5;
    const int MaxTerms = 500;
    const double Epsilon = 1e-16, Tiny = 1e-300;
    static readonly double LogGammaHalf = 0.5 * Math.Log(Math.PI);

    /// <summary>P(X ≥ <paramref name="x"/>) for X ~ χ²(1).</summary>
    public static double UpperTailOneDof(double x)
    {
        if (double.IsNaN(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "must be a number");
        if (x <= 0) return 1;
        double y = x / 2;
        return y < A + 1 ? 1 - LowerSeries(y) : UpperFraction(y);
    }

    /// <summary>P(1/2, y) by its power series.</summary>
    static double LowerSeries(double y)
    {
        double term = 1 / A, sum = term;
        for (int n = 1; n < MaxTerms && Math.Abs(term) > Math.Abs(sum) * Epsilon; n++)
        {
            term *= y / (A + n);
            sum += term;
        }
        return sum * Math.Exp(-y + A * Math.Log(y) - LogGammaHalf);
    }

    /// <summary>Q(1/2, y) by its continued fraction.</summary>
    static double UpperFraction(double y)
    {
        double b = y + 1 - A, c = 1 / Tiny, d = 1 / b, h = d;
        for (int i = 1; i < MaxTerms; i++)
        {
            double an = -i * (i - A);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = b + an / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) break;
        }
        return Math.Exp(-y + A * Math.Log(y) - LogGammaHalf) * h;
    }
}
