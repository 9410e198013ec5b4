using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Tests.Distillation;

/// <summary>Reach: passkey accuracy past the distillation length on fixed held-out samples, scored during training.</summary>
[Trait("Category", "Distill")]
public class ReachEvaluationTests
{
    [Theory]
    [InlineData(7, 10, 0.396778, 0.892209)]
    [InlineData(0, 10, 0.0, 0.277533)]
    [InlineData(10, 10, 0.722467, 1.0)]
    [InlineData(1, 2, 0.094531, 0.905469)]
    public void WilsonIntervalsMatchKnownValues(int correct, int n, double lo, double hi)
    {
        var (l, h) = ReachEvaluation.Wilson(correct, n);
        Assert.Equal(lo, l, 5);
        Assert.Equal(hi, h, 5);
    }

    [Fact]
    public void ScoresTheStudentOnItsOwnSamplesAndPutsTheModelBack()
    {
        var folder = TestPaths.NewTempDir();
        ByteLevelTokenizer.Save(folder);
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        var model = TinyModels.Student(config: TinyModels.Config with { VocabSize = 259, BosTokenId = 256, EosTokenIds = new[] { 257 } });
        LawcatConversion.SetMode(model, LawcatMode.AttentionTransfer);
        model.train();
        var reach = new ReachEvaluation(new ReachEvalOptions { LengthMultiples = new[] { 2, 3 }, Samples = 1 }, 100, tokenizer, seed: 0);
        var (mean, parts) = reach.Score(model);
        Assert.Equal(new[] { "reach.200", "reach.200.hi", "reach.200.lo", "reach.200.n", "reach.300", "reach.300.hi", "reach.300.lo", "reach.300.n" },
            parts.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(1, parts["reach.300.n"]);
        Assert.Equal((parts["reach.200"] + parts["reach.300"]) / 2, mean, 9);
        Assert.True(model.training);
        Assert.All(LawcatConversion.LawcatLayers(model), l => Assert.Equal(LawcatMode.AttentionTransfer, l.Mode));

        // Its samples are not those of the final evaluation (seed + 1) nor of training.
        var own = new PasskeyGenerator(Lawcat.Training.Seeds.Combine(0, 0x4eac4)).Generate(tokenizer, 500, null, 0).Prompt;
        Assert.NotEqual(new PasskeyGenerator(1).Generate(tokenizer, 500, null, 0).Prompt, own);
        Assert.DoesNotContain(own, tokenizer.Decode(new Lawcat.Data.PasskeyTrainingSamples(tokenizer, 500, 0).Sample(0)));
    }
}
