using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Data;
using Lawcat.Distillation;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests.Distillation;

/// <summary>State coverage: training sequences that start from a carried-over or noise state instead of zeros.</summary>
[Trait("Category", "Distill")]
public class StateCoverageTests
{
    const int Prefix = 24, Length = 40;

    static Tensor Chunk(Tensor logits) => logits[.., Prefix..];

    [Fact]
    public void ADetachedPrefixGivesTheSameOutputsAndTheGradientsOfStartingFromItsState()
    {
        var model = TinyModels.Student();
        var ids = TinyModels.Ids(2, Prefix + Length, 7);
        // Values: continuing from the prefix's state is the same computation as one pass over the whole input.
        using (no_grad())
            TensorAssert.CloseToScale(model.Forward(ids), model.Forward(ids, start: new RecurrentStart { DetachedPrefix = Prefix }), 1e-5, "with a detached prefix");

        var parameters = LawcatConversion.NewParameters(model).ToList();
        Tensor[] Gradients(Func<Tensor> chunkLogits)
        {
            foreach (var (_, p) in parameters) p.grad?.zero_();
            chunkLogits().pow(2).mean().backward();
            return parameters.Select(p => p.Parameter.grad!.clone()).ToArray();
        }
        var detached = Gradients(() => Chunk(model.Forward(ids, start: new RecurrentStart { DetachedPrefix = Prefix })));
        // The independent reference: the prefix through the decoding cache without gradients, then the rest from that cache.
        var reference = Gradients(() =>
        {
            using var cache = model.NewCache();
            using (no_grad()) model.Forward(ids[.., ..Prefix], cache: cache);
            return model.Forward(ids[.., Prefix..], cache: cache);
        });
        var throughPrefix = Gradients(() => Chunk(model.Forward(ids)));
        for (int i = 0; i < parameters.Count; i++)
            TensorAssert.CloseToScale(reference[i], detached[i], 1e-4, parameters[i].Name);
        Assert.Contains(Enumerable.Range(0, parameters.Count), i => TensorAssert.MaxAbsDiff(throughPrefix[i], detached[i]) > 1e-6 * throughPrefix[i].abs().max().item<float>());
    }

    [Fact]
    public void ARowWhosePrefixIsAllPaddingStartsFromZeros()
    {
        using var _ = no_grad();
        var model = TinyModels.Student();
        var ids = TinyModels.Ids(2, Prefix + Length, 8);
        var mask = ones(2, Prefix + Length, ScalarType.Int64);
        mask[1, ..Prefix] = zeros(Prefix, ScalarType.Int64);
        var logits = model.Forward(ids, mask, start: new RecurrentStart { DetachedPrefix = Prefix });
        TensorAssert.CloseToScale(model.Forward(ids[1..2, Prefix..])[0], logits[1, Prefix..], 1e-5, "padded prefix");
        Assert.True(TensorAssert.MaxAbsDiff(model.Forward(ids[..1, Prefix..])[0], logits[0, Prefix..]) > 1e-3, "a real prefix changes the row");
    }

    [Fact]
    public void NoiseStatesLookLikeRealStatesAndOnlyInTheirRows()
    {
        var gen = new Generator(5);
        var phiK = randn(new long[] { 3, 2, 50, 6 }, generator: gen).softmax(-1);
        var values = randn(new long[] { 3, 2, 50, 4 }, generator: gen) * 2 + 1;
        var rows = tensor(new[] { true, false, true });
        var s = StateNoise.Sample(phiK, values, null, rows, 1000, denominator: true, new Generator(9));
        Assert.Equal(new long[] { 3, 2, 6, 5 }, s.shape);
        Assert.Equal(0, s[1].abs().max().item<float>());
        var den = s[.., .., .., 4];
        Assert.True(den[0].min().item<float>() > 0, "denominators are positive");
        // Each feature row divided by its denominator is a value drawn with the values' mean and spread: here mean ~1, std ~2.
        var ratios = (s[0, .., .., ..4] / den[0].unsqueeze(-1)).flatten();
        Assert.InRange(ratios.mean().item<float>(), -0.5, 2.5);
        Assert.InRange(ratios.std().item<float>(), 1.0, 3.0);
        // The mass is n tokens' worth of the mean key features: E[D] = 1000 · mean φ.
        Assert.InRange(den[0].mean().item<float>() / (1000 * phiK[0].mean().item<float>()), 0.5, 2.0);
        Assert.Equal(0, TensorAssert.MaxAbsDiff(s, StateNoise.Sample(phiK, values, null, rows, 1000, true, new Generator(9))));
        Assert.Equal(new long[] { 3, 2, 6, 4 }, StateNoise.Sample(phiK, values, null, rows, 1000, false, new Generator(9)).shape);
    }

    [Fact]
    public void NoiseChangesOnlyTheChosenRowsOfAForward()
    {
        using var _ = no_grad();
        var model = TinyModels.Student();
        var ids = TinyModels.Ids(2, Length, 9);
        var start = new RecurrentStart { NoiseRows = tensor(new[] { true, false }), NoiseSeed = 3, NoiseTokens = 100 };
        var plain = model.Forward(ids);
        var noisy = model.Forward(ids, start: start);
        Assert.Equal(0, TensorAssert.MaxAbsDiff(plain[1], noisy[1]));
        Assert.True(TensorAssert.MaxAbsDiff(plain[0], noisy[0]) > 1e-3, "the noise state changes the chosen row");
        Assert.False(noisy.isnan().any().item<bool>());
        Assert.Equal(0, TensorAssert.MaxAbsDiff(noisy, model.Forward(ids, start: start)));
    }

    static PackedDataset Data() =>
        PackedDataset.Build(Enumerable.Range(0, 60).Select(i => new string((char)('a' + i % 26), 30 + i)), new CharTokenizer(), Length, evalChunks: 4);

    [Fact]
    public void CarriedOverRowsReadTheEndOfAnotherTrainingChunkAndCountOnlyThemselves()
    {
        var data = Data();
        var coverage = new StateCoverage(new StateCoverageOptions { Ratio = 0.5, PrefixTokens = Prefix }, data, seed: 3);
        var chosen = Enumerable.Range(0, 2000).Count(i => coverage.Chosen(i));
        Assert.InRange(chosen, 900, 1100);
        var stream = new BatchStream(data, 3);
        var batch = stream.Next(8);
        var input = coverage.Prepare(batch);
        Assert.Equal(new long[] { 8, Prefix + Length }, input.Ids.shape);
        Assert.Equal(Prefix, input.Start!.DetachedPrefix);
        Assert.Equal(0, input.LossMask[.., ..Prefix].sum().item<long>());
        Assert.True(input.LossMask[.., Prefix..].eq(batch.Mask).all().item<bool>());
        var trainEnds = data.TrainChunks.Select(c => data.Chunk(c))
            .Select(c => string.Join(",", c.Tokens.Span[Math.Max(0, c.Length - Prefix)..c.Length].ToArray())).ToHashSet();
        for (int r = 0; r < 8; r++)
        {
            var prefixMask = input.KeyMask![r, ..Prefix];
            if (!coverage.Chosen(batch.Rows[r])) { Assert.Equal(0, prefixMask.sum().item<long>()); continue; }
            Assert.Equal(1, prefixMask[^1].item<long>());   // the earlier sequence ends where the row begins
            var real = input.Ids[r, ..Prefix].masked_select(prefixMask.to(ScalarType.Bool));
            Assert.Contains(string.Join(",", real.data<long>().ToArray()), trainEnds);
        }
        Assert.Equal(0, TensorAssert.MaxAbsDiff(input.Ids, coverage.Prepare(batch).Ids));
    }

    [Fact]
    public void StageOneOnACarriedOverRowMatchesTheTeacherOnBothChunksAndCountsTheSecond()
    {
        var model = TinyModels.Student();
        var ids = TinyModels.Ids(2, Prefix + Length, 10);
        var keyMask = ones(2, Prefix + Length, ScalarType.Int64);
        var lossMask = cat(new[] { zeros(2, Prefix, ScalarType.Int64), ones(2, Length, ScalarType.Int64) }, 1);
        LawcatConversion.SetMode(model, LawcatMode.AttentionTransfer);
        var loss = StageLosses.AttentionTransfer(model, new StageInput(ids, keyMask, lossMask, new RecurrentStart { DetachedPrefix = Prefix }), 1);
        // The reference: one pass over both chunks (the teacher's full attention; the same student values), MSE over the second.
        using var _ = no_grad();
        using var capture = new AttentionCapture();
        model.ForwardHidden(ids, capture: capture);
        foreach (var (layer, (student, teacher)) in capture.TransferPairs)
        {
            double mse = (student[.., Prefix..] - teacher[.., Prefix..]).pow(2).mean().item<float>();
            Assert.Equal(mse, loss.Parts[$"mse.layer{layer}"], mse * 1e-4);
            double whole = (student - teacher).pow(2).mean().item<float>();
            Assert.True(Math.Abs(whole - mse) > 1e-3 * mse, "the first chunk's positions would change the loss");
        }
    }
}
