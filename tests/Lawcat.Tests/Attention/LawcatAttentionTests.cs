using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Diagnostics;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests.Attention;

[Trait("Category", "Kernels")]
public class LawcatAttentionTests
{
    static IEnumerable<LawcatOptions> Ablations(FeatureMapKind map) =>
        from gate in Enum.GetValues<GateKind>()
        from norm in Enum.GetValues<NormalizationKind>()
        from rope in new[] { false, true }
        from conv in new (bool q, bool k, bool v, int size)[] { (false, false, false, 4), (true, true, false, 4), (true, true, true, 2), (true, false, false, 1) }
        from window in norm == NormalizationKind.Denominator ? new[] { 0, 3 } : new[] { 0 }
        select new LawcatOptions
        {
            FeatureMap = map, Gate = gate, Normalization = norm, RopeOnLinearPath = rope,
            ConvOnQuery = conv.q, ConvOnKey = conv.k, ConvOnValue = conv.v, ConvKernelSize = conv.size, WindowSize = window,
        };

    [Theory]
    [InlineData(FeatureMapKind.HedgehogSoftmax)]
    [InlineData(FeatureMapKind.EluPlusOne)]
    [InlineData(FeatureMapKind.Relu)]
    [InlineData(FeatureMapKind.Identity)]
    public void EveryAblationRunsForwardAndBackward(FeatureMapKind map)
    {
        var ids = TinyModels.Ids(2, 9);
        foreach (var options in Ablations(map))
        {
            using var scope = NewDisposeScope();
            var model = TinyModels.Student(options);
            var logits = model.Forward(ids);
            Assert.False(logits.isnan().any().item<bool>(), $"NaN logits with {options}");
            var trainable = LawcatConversion.NewParameters(model).ToList();
            if (trainable.Count == 0) continue;   // e.g. identity map, no gate, no conv: nothing to train
            logits.pow(2).mean().backward();
            Assert.NotEmpty(trainable.Where(p => p.Parameter.grad is not null));
            foreach (var (name, p) in trainable)
                Assert.False(p.grad is not null && p.grad.isnan().any().item<bool>(), $"NaN gradient of {name} with {options}");
            Assert.All(model.named_parameters().Where(p => p.name.Contains("_proj.") && !p.name.Contains("gk_proj")), p => Assert.Null(p.parameter.grad));
        }
    }

    [Fact]
    public void ConversionReusesTheTeachersProjectionsBitForBit()
    {
        var teacher = TinyModels.Teacher(3);
        var before = teacher.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var report = LawcatConversion.Convert(teacher);
        var after = teacher.state_dict();
        foreach (var (name, t) in before)
            Assert.True(after[name].eq(t).all().item<bool>(), $"{name} changed");
        Assert.Equal(new[] { 0, 1 }, report.ConvertedLayers);
        Assert.Equal(report.NewParameters, LawcatConversion.NewParameters(teacher).Sum(p => p.Parameter.numel()));
        Assert.All(teacher.named_parameters(), p => Assert.Equal(!before.ContainsKey(p.name), p.parameter.requires_grad));
    }

    [Fact]
    public void KeptSoftmaxLayersStaySoftmax()
    {
        var model = TinyModels.Teacher();
        var report = LawcatConversion.Convert(model, keepSoftmax: new[] { 1 });
        Assert.IsType<LawcatAttention>(model.Layers[0].Attention);
        Assert.IsType<SoftmaxAttention>(model.Layers[1].Attention);
        Assert.Equal(new[] { 1 }, report.SoftmaxLayers);
        Assert.Throws<LawcatException>(() => LawcatConversion.Convert(TinyModels.Teacher(), keepSoftmax: new[] { 5 }));
    }

    [Fact]
    public void NewParameterCountForLlama32_1BIsAbout1_97M()
    {
        var c = LlamaConfig.Llama32_1B;
        var projections = new AttentionProjections(nn.Linear(c.HiddenSize, 2048, false), nn.Linear(c.HiddenSize, 512, false), nn.Linear(c.HiddenSize, 512, false), nn.Linear(2048, c.HiddenSize, false));
        var layer = new LawcatAttention(c, LawcatOptions.Default, 0, projections);
        long perLayer = layer.NewParameters().Sum(p => p.Parameter.numel());
        // q conv 8,192 + k conv 8,192 + gate down 32,768 + gate up 8,704 + feature map 65,536 (docs/lawcat.md §1.8, window factors
        // excluded since the headline config has no window).
        Assert.Equal(123_392, perLayer);
        Assert.Equal(1_974_272, perLayer * c.NumHiddenLayers);
    }

    [Fact]
    public void ImpliedWeightsReproduceTheLayerOutput()
    {
        // Without a conv on v, y = W v exactly, with W the implied normalized weights.
        using var _ = no_grad();
        var model = TinyModels.Student();
        var layer = (LawcatAttention)model.Layers[0].Attention;
        var x = randn(1, 10, TinyModels.Config.HiddenSize);
        var pos = arange(10).unsqueeze(0);
        var (cos, sin) = model.Rotary.Forward(pos, ScalarType.Float32);
        var ctx = new AttentionContext { PositionIds = pos, Cos = cos, Sin = sin };
        var y = layer.StudentHeads(x, ctx).view(1, 10, 4, 8).transpose(1, 2);            // [1, H, T, D]
        var w = layer.AttentionWeights(x, ctx);                                           // [1, H, T, T]
        var v = GroupedHeads.RepeatKv(layer.Projections.V.forward(x).view(1, 10, 2, 8).transpose(1, 2), 2);
        TensorAssert.RmseBelow(y, matmul(w, v), 1e-5, "W v vs layer output");
        TensorAssert.RmseBelow(ones(1, 4, 10), w.sum(-1), 1e-6, "row sums");
    }

    [Fact]
    public void AttentionMapsHaveTeacherAndStudentPerLayer()
    {
        var model = TinyModels.Student(keepSoftmax: new[] { 1 });
        var maps = AttentionMaps.Compute(model, TinyModels.Ids(1, 12));
        Assert.Equal(2, maps.Count);
        Assert.Equal(new long[] { 4, 12, 12 }, maps[0].Teacher.shape);
        Assert.Equal(new long[] { 4, 12, 12 }, maps[0].Student!.shape);
        Assert.Null(maps[1].Student);
        TensorAssert.RmseBelow(ones(4, 12), maps[0].Teacher.sum(-1), 1e-5, "teacher rows");
        TensorAssert.RmseBelow(ones(4, 12), maps[0].Student!.sum(-1), 1e-5, "student rows");
        Assert.Equal(0.0, maps[0].Student!.triu(1).abs().max().item<float>());
    }

    [Fact]
    public void BadOptionsNameTheField()
    {
        var e = Assert.Throws<LawcatException>(() => new LawcatOptions { ChunkSize = 10 }.Validate());
        Assert.Contains("ChunkSize", e.Message);
        e = Assert.Throws<LawcatException>(() => new LawcatOptions { WindowSize = 8, Normalization = NormalizationKind.None }.Validate());
        Assert.Contains("WindowSize", e.Message);
    }
}
