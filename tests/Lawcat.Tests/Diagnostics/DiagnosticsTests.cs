using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Diagnostics;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Visualization;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Tests.Diagnostics;

/// <summary>The mechanism diagnostics: gate memory, last-query attention and needle mass, attention-transfer error.</summary>
[Trait("Category", "Kernels")]
public class DiagnosticsTests
{
    [Fact]
    public void EffectiveMemoryIsOneOverOneMinusTheDecay()
    {
        Assert.Equal(100, GateMemory.EffectiveMemory(Math.Log(0.99)), 1e-9);
        Assert.Equal(2, GateMemory.EffectiveMemory(Math.Log(0.5)), 1e-12);
        Assert.Equal(1 / 6e-26, GateMemory.EffectiveMemory(-6e-26), 1e-3 / 6e-26);   // a rounds to 1 in double; the memory does not
        Assert.Equal(1e5 + 0.5, GateMemory.EffectiveMemory(-1e-5), 1e-4);          // 1/(1 − e^−x) = 1/x + 1/2 + x/12 + …
        Assert.Equal(double.PositiveInfinity, GateMemory.EffectiveMemory(0));
    }

    /// <summary>Sets a gate to a constant decay per (head, dimension): zero input weights, the bias logit(a^normalizer).</summary>
    static void SetDecays(LlamaModel student, Func<int, int, int, double> decay, LawcatOptions o, int dims)
    {
        using var _ = no_grad();
        foreach (var (name, p) in LawcatConversion.NewParameters(student).Where(p => p.Name.Contains(".gk_proj")))
        {
            int layer = int.Parse(name.Split('.')[2]);
            bool bias = name.EndsWith(".bias");
            if (!bias) { p.zero_(); continue; }
            int kvHeads = (int)p.shape[0] / dims;
            var logits = Enumerable.Range(0, kvHeads * dims).Select(i =>
            {
                double s = Math.Pow(decay(layer, i / dims, i % dims), o.GateLogitNormalizer);   // sigmoid(bias) = a^normalizer
                return (float)Math.Log(s / (1 - s));
            }).ToArray();
            p.copy_(tensor(logits));
        }
    }

    [Fact]
    public void AGateOfKnownDecayGivesAKnownMemoryLength()
    {
        var ids = TinyModels.Ids(1, 40);
        // Scalar gate: one decay per layer and key/value head.
        var scalar = new LawcatOptions { Gate = GateKind.ScalarPerHead };
        var model = TinyModels.Student(scalar);
        double Scalar(int layer, int head, int _) => new[] { 0.9, 0.99, 0.995, 0.999 }[layer * 2 + head];
        SetDecays(model, Scalar, scalar, dims: 1);
        var heads = GateMemory.Measure(model, ids);
        Assert.Equal(4, heads.Count);   // 2 layers × 2 key/value heads
        foreach (var h in heads)
        {
            var a = Scalar(h.Layer, h.Head, 0);
            Assert.Equal(1 / (1 - a), Assert.Single(h.Memory), 1e-4 / (1 - a));
        }

        // LAWCAT's low-rank gate: a decay per feature dimension.
        var lowRank = LawcatOptions.Default;
        model = TinyModels.Student(lowRank);
        double PerDim(int layer, int head, int dim) => 1 - 1.0 / (2 + 10 * dim + 100 * head + 1000 * layer);   // memory 2 + 10·dim + 100·head + 1000·layer
        SetDecays(model, PerDim, lowRank, dims: TinyModels.Config.HeadDim);
        heads = GateMemory.Measure(model, ids);
        foreach (var h in heads)
            for (int d = 0; d < h.Memory.Length; d++)
            {
                double expected = 2 + 10 * d + 100 * h.Head + 1000 * h.Layer;
                Assert.True(Math.Abs(h.Memory[d] - expected) < 1e-4 * expected, $"L{h.Layer} h{h.Head} dim {d}: memory {h.Memory[d]}, expected {expected}");
            }
        var table = GateMemory.Table(heads, horizon: 1000);
        Assert.Equal(0.0, (double)table["pct_over_1000"][0]!);     // layer 0: memories 2..172
        Assert.Equal(100.0, (double)table["pct_over_1000"][2]!);   // layer 1: memories 1002..1172
    }

    static IEnumerable<LawcatOptions> Variants() => new[]
    {
        LawcatOptions.Default,
        new LawcatOptions { Gate = GateKind.ScalarPerHead, WindowSize = 4 },
        new LawcatOptions { Normalization = NormalizationKind.None, RopeOnLinearPath = true },
        new LawcatOptions { Gate = GateKind.None, FeatureMap = FeatureMapKind.EluPlusOne },
    };

    [Fact]
    public void LastQueryWeightsAreTheLastRowOfTheFullMaps()
    {
        var ids = TinyModels.Ids(1, 23);
        foreach (var options in Variants().Cast<LawcatOptions?>().Prepend(null))
        {
            var model = options is null ? TinyModels.Teacher() : TinyModels.Student(options);
            using var _ = no_grad();
            using var capture = new AttentionCapture { RecordWeights = true, RecordLastQueryWeights = true };
            model.ForwardHidden(ids, capture: capture);
            Assert.Equal(2, capture.LastQueryWeights.Count);
            foreach (var (layer, row) in capture.LastQueryWeights)
            {
                var full = capture.Weights[layer][.., .., -1];                                   // [B, H, T]
                Assert.Equal(full.shape, row.shape);
                var error = (full.to(ScalarType.Float64) - row.to(ScalarType.Float64)).abs().max().item<double>();
                Assert.True(error < 1e-5, $"{options?.ToString() ?? "teacher"} layer {layer}: last-row error {error:G3}");
            }
        }
    }

    [Fact]
    public void TheTinyTeachersRetrievalHeadsLookAtThePassKey()
    {
        var folder = DataFiles.TinyTeacher();
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        using var teacher = LlamaModel.FromPretrained(folder);
        var generator = new PasskeyGenerator(0);
        var samples = Enumerable.Range(0, 2).Select(i => generator.Generate(tokenizer, 512, null, i)).ToList();
        var masses = NeedleAttention.Measure(teacher, "teacher", tokenizer, samples);
        Assert.Equal(2 * teacher.Config.NumHiddenLayers * teacher.Config.NumAttentionHeads, masses.Count);
        Assert.All(masses, m => Assert.InRange(m.Mass, 0, 1 + 1e-9));
        Assert.All(masses, m => Assert.Equal(NeedlePosition.Locate(tokenizer, samples[m.Index])!.Distance, m.Distance));
        // It retrieves pass keys at 100% at this length: some head must attend mostly to the digits, far above their share of the prompt.
        var best = NeedleAttention.RetrievalHeads(masses, 1).Single();
        double mean = masses.Where(m => (m.Layer, m.Head) == best).Average(m => m.Mass);
        Assert.True(mean > 0.5, $"the best retrieval head L{best.Layer} h{best.Head} puts {mean:P0} on the digits");
        var table = Tables.ToDataFrame(NeedleAttention.Table(masses, new[] { best }));
        Assert.Equal(2, ((Microsoft.Data.Analysis.Int32DataFrameColumn)table["samples"]).Sum(n => n ?? 0));
    }

    [Fact]
    public void TransferErrorsAgreeWithTheStage1Loss()
    {
        var folder = DataFiles.TinyTeacher();
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        using var student = LlamaModel.FromPretrained(folder);
        manual_seed(3);
        LawcatConversion.Convert(student, LawcatOptions.Default);
        var errors = AttentionTransferError.Errors(student, tokenizer, sequenceLength: 64, chunks: 2);
        Assert.Equal(Enumerable.Range(0, student.Config.NumHiddenLayers), errors.Select(e => e.Layer));
        Assert.All(errors, e => Assert.InRange(e.RelativeError, 1e-6, 10));
        // The stage-1 loss's parts on the same chunks (its own code path, fp32) give the same MSE.
        var data = Lawcat.Data.PackedDataset.Build(Lawcat.Data.TrainingText.Documents(new[] { DataFiles.GutenbergBooks()[^1] }), tokenizer, 64, evalChunks: 1, maxTokens: 3 * 64);
        LawcatConversion.SetMode(student, LawcatMode.AttentionTransfer);
        var parts = Enumerable.Range(0, 2).Select(c =>
        {
            var (ids, mask) = Lawcat.Data.PackedDataset.ToBatch(new[] { data.Chunk(c) }, 64, data.PadId, CPU);
            using var _ = no_grad();
            return StageLosses.AttentionTransfer(student, ids, mask, 1).Parts;
        }).ToList();
        foreach (var e in errors)
        {
            double mse = parts.Average(p => p[$"mse.layer{e.Layer}"]);
            Assert.True(Math.Abs(e.Mse - mse) < 1e-4 * mse, $"layer {e.Layer}: MSE {e.Mse:G6} vs the stage-1 part {mse:G6}");
        }
    }
}
