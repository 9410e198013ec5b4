using System.Globalization;

namespace Lawcat.Statistics;

/// <summary>An accuracy: successes out of trials, with its Wilson 95% interval.</summary>
/// <param name="Successes">Sum of the scores (the number right when every score is 0 or 1).</param>
/// <param name="Trials">Number of samples.</param>
public sealed record Proportion(double Successes, int Trials)
{
    /// <summary>Successes / trials (NaN without trials).</summary>
    public double Rate => Trials == 0 ? double.NaN : Successes / Trials;

    /// <summary>The Wilson 95% interval.</summary>
    public Interval Wilson95 => WilsonInterval.Of(Successes, Trials);

    /// <summary>The proportion of scores 0..1.</summary>
    public static Proportion Of(IEnumerable<double> scores)
    {
        double sum = 0;
        int n = 0;
        foreach (var s in scores) { sum += s; n++; }
        return new Proportion(sum, n);
    }

    /// <summary>The rate and interval in percent with the sample count: <c>35.0 [18.1, 56.7] n=20</c>.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Rate * 100:F1} {Wilson95.Percent()} n={Trials}");
}
