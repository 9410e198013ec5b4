using Lawcat.Statistics;

namespace Lawcat.Tests.Statistics;

/// <summary>
/// Wilson intervals and McNemar tests against reference values: statsmodels' <c>proportion_confint(method="wilson")</c>
/// and <c>mcnemar</c>, Agresti's textbook example, and exact binomial sums (all computed to 30 digits with mpmath from
/// the closed forms, independently of the code under test).
/// </summary>
[Trait("Category", "Evals")]
public class StatisticsTests
{
    [Theory]
    [InlineData(7, 20, 0.18119182410108206, 0.56714572331476374)]    // the miniature's 35% of 20: [18, 57]%
    [InlineData(0, 20, 0.0, 0.16112515805281935)]
    [InlineData(20, 20, 0.83887484194718065, 1.0)]
    [InlineData(1, 20, 0.0088814488007953916, 0.23613119344674203)]
    [InlineData(19, 20, 0.76386880655325797, 0.99111855119920461)]
    [InlineData(45, 50, 0.78639768562520345, 0.95652423506810958)]
    public void WilsonIntervalMatchesReferenceValues(int successes, int trials, double low, double high)
    {
        var interval = WilsonInterval.Of(successes, trials);
        Assert.Equal(low, interval.Low, 1e-12);
        Assert.Equal(high, interval.High, 1e-12);
        var p = new Proportion(successes, trials);
        Assert.Equal(interval, p.Wilson95);
        Assert.Equal((double)successes / trials, p.Rate);
    }

    [Fact]
    public void WilsonIntervalWithoutTrialsIsEverything()
    {
        Assert.Equal(new Interval(0, 1), WilsonInterval.Of(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(3, 2));
        Assert.Equal("35.0 [18.1, 56.7] n=20", new Proportion(7, 20).Format());
    }

    [Theory]
    [InlineData(1, 9, 0.021484375)]                  // 2 · (1 + 10) / 2^10
    [InlineData(6, 16, 0.052478790283203125)]        // Wikipedia's McNemar example, exact
    [InlineData(0, 5, 0.0625)]
    [InlineData(3, 3, 1.0)]
    [InlineData(10, 14, 0.54125618934631348)]
    [InlineData(0, 0, 1.0)]
    public void FewDiscordantPairsUseTheExactBinomialTest(int b, int c, double p)
    {
        var r = McNemarTest.Of(b, c);
        Assert.Equal(McNemarMethod.ExactBinomial, r.Method);
        Assert.Equal("exact", r.MethodName);
        Assert.Equal(p, r.PValue, 1e-13);
        Assert.Equal(McNemarTest.Of(c, b).PValue, r.PValue);
    }

    [Theory]
    [InlineData(150, 86, 4.1145622813459451e-5)]     // Agresti, Categorical Data Analysis, presidential approval: χ² 16.82
    [InlineData(20, 40, 0.01417138825401233)]
    [InlineData(30, 20, 0.20309178757716787)]
    [InlineData(13, 12, 1.0)]                        // |b − c| − 1 = 0
    public void ManyDiscordantPairsUseChiSquareWithContinuityCorrection(int b, int c, double p)
    {
        var r = McNemarTest.Of(b, c);
        Assert.Equal(McNemarMethod.ChiSquareCorrected, r.Method);
        Assert.Equal("chi2cc", r.MethodName);
        Assert.True(Math.Abs(r.PValue - p) <= 1e-12 * Math.Max(p, 1e-3), $"p {r.PValue:R}, expected {p:R}");
    }

    [Fact]
    public void TheMethodSwitchesAt25DiscordantPairs()
    {
        Assert.Equal(McNemarMethod.ExactBinomial, McNemarTest.Of(12, 12).Method);
        Assert.Equal(McNemarMethod.ChiSquareCorrected, McNemarTest.Of(12, 13).Method);
    }

    [Theory]
    [InlineData(0.5, 0.47950012218695346)]           // erfc(1/2)
    [InlineData(3.841458820694124, 0.050000000000000058)] // the 95% quantile
    [InlineData(40.0, 2.539628589470865e-10)]
    [InlineData(1e-8, 0.99992021154405269)]
    public void ChiSquareTailMatchesErfc(double x, double p) =>
        Assert.True(Math.Abs(ChiSquare.UpperTailOneDof(x) - p) <= 1e-13 * p, $"Q({x}) = {ChiSquare.UpperTailOneDof(x):R}, expected {p:R}");

    [Fact]
    public void PairedOutcomesCountOnlyDiscordantPairs()
    {
        var first = new[] { true, true, false, false, true, false };
        var second = new[] { true, false, true, true, true, false };
        var r = McNemarTest.Of(first, second);
        Assert.Equal((1, 2), (r.OnlyFirst, r.OnlySecond));
        Assert.Equal(1.0, r.PValue);   // 2 · P(X ≤ 1 | n = 3) = 2 · 4/8
        Assert.Throws<ArgumentException>(() => McNemarTest.Of(first, second[..5]));
    }
}
