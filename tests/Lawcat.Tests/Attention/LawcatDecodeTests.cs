using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests.Attention;

/// <summary>Prefill then token-by-token decoding of a converted model equals one full forward (tolerance: 1e-4 × logits scale, fp32).</summary>
[Trait("Category", "Decode")]
public class LawcatDecodeTests
{
    const double Tol = 1e-4;

    public static IEnumerable<object[]> Variants => new[]
    {
        new object[] { "headline", new LawcatOptions() },
        new object[] { "conv on v, rope, elu", new LawcatOptions { ConvOnValue = true, RopeOnLinearPath = true, FeatureMap = FeatureMapKind.EluPlusOne } },
        new object[] { "window 4, scalar gate", new LawcatOptions { WindowSize = 4, Gate = GateKind.ScalarPerHead } },
        new object[] { "rmsnorm, full-rank gate, chunk 16", new LawcatOptions { Normalization = NormalizationKind.OutputRmsNorm, Gate = GateKind.FullRankPerDim, ChunkSize = 16 } },
        new object[] { "gate memory bound 16", new LawcatOptions { MaxGateMemory = 16 } },
    };

    static Tensor Stepwise(LlamaModel model, Tensor ids, Tensor? mask, int prefill)
    {
        using var cache = model.NewCache();
        var parts = new List<Tensor> { model.Forward(ids[.., ..prefill], mask?[.., ..prefill], cache) };
        for (int t = prefill; t < ids.shape[1]; t++)
            parts.Add(model.Forward(ids[.., t..(t + 1)], mask?[.., t..(t + 1)], cache));
        return cat(parts, 1);
    }

    [Theory, MemberData(nameof(Variants))]
    public void PrefillThenDecodeEqualsFullForward(string name, LawcatOptions options)
    {
        using var _ = no_grad();
        var model = TinyModels.Student(options, keepSoftmax: new[] { 1 });
        var ids = TinyModels.Ids(2, 150);
        var full = model.Forward(ids);
        TensorAssert.CloseToScale(full, Stepwise(model, ids, null, 70), Tol, $"{name}: prefill 70 + 80 steps");
        TensorAssert.CloseToScale(full, Stepwise(model, ids, null, 1), Tol, $"{name}: all steps");
    }

    [Theory, MemberData(nameof(Variants))]
    public void LeftPaddedBatchEqualsEachSequenceAlone(string name, LawcatOptions options)
    {
        using var _ = no_grad();
        var model = TinyModels.Student(options);
        var a = TinyModels.Ids(1, 20, 2);
        var b = TinyModels.Ids(1, 13, 3);
        var batch = cat(new[] { a, cat(new[] { zeros(1, 7, ScalarType.Int64), b }, 1) }, 0);
        var mask = cat(new[] { ones(1, 20, ScalarType.Int64), cat(new[] { zeros(1, 7, ScalarType.Int64), ones(1, 13, ScalarType.Int64) }, 1) }, 0);
        var logits = model.Forward(batch, mask);
        TensorAssert.CloseToScale(model.Forward(a)[0], logits[0], Tol, $"{name}: row a");
        TensorAssert.CloseToScale(model.Forward(b)[0], logits[1, 7..], Tol, $"{name}: row b (padded)");
        TensorAssert.CloseToScale(logits, Stepwise(model, batch, mask, 9), Tol, $"{name}: padded prefill + decode");
    }

    [Fact]
    public void DecodingStateIsConstantInSequenceLength()
    {
        using var _ = no_grad();
        var model = TinyModels.Student(new LawcatOptions { WindowSize = 4 });
        using var cache = model.NewCache();
        model.Forward(TinyModels.Ids(1, 5), cache: cache);
        long after5 = cache.Bytes;
        for (int i = 0; i < 60; i++) model.Forward(TinyModels.Ids(1, 1, i), cache: cache);
        Assert.Equal(after5, cache.Bytes);
        // S [1, 4, 8, 9] fp32 + q/k tails [1, 32, 3] + window k/v [1, 4, 4, 8] and validity [1, 4], per layer.
        Assert.Equal(2 * (4 * 8 * 9 * 4 + 2 * 32 * 3 * 4 + 2 * 4 * 4 * 8 * 4 + 4), after5);
    }

    [Fact]
    public void GreedyGenerationOfAStudentMatchesFullForwardArgmax()
    {
        using var _ = no_grad();
        var model = TinyModels.Student();
        var prompt = TinyModels.Ids(1, 16);
        var generated = model.Generate(prompt, null, 8);
        var seq = prompt;
        for (int i = 0; i < 8; i++)
        {
            var next = model.Forward(seq)[.., -1].argmax(-1);
            Assert.Equal(next.item<long>(), generated[0, i].item<long>());
            seq = cat(new[] { seq, next.unsqueeze(1) }, 1);
        }
    }
}
