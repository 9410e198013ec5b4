using Lawcat.Distillation;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Tests.Cli;

/// <summary>
/// One options pipeline: the preset, then resume file, config file and --set, then the typed flags as typed values;
/// device and dtype read by one parser each, whether they come from a flag, an options file or --set.
/// </summary>
[Trait("Category", "Cli")]
public class OptionsPipelineTests
{
    [Fact]
    public void DistillTakesTheDtypeSpellingsEvalTakes()
    {
        var r = CliTests.Lawcat("distill", "--dtype", "bf16", "--print-options");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("\"dtype\": \"bfloat16\"", r.Output);
    }

    [Fact]
    public void ATypedFlagOverridesSet()
    {
        var r = CliTests.Lawcat("distill", "--set", "dtype=float32", "--dtype", "bfloat16", "--set", "device=cpu", "--device", "cuda:1", "--print-options");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("\"dtype\": \"bfloat16\"", r.Output);
        Assert.Contains("\"device\": \"cuda:1\"", r.Output);
    }

    [Fact]
    public void BadDeviceAndDtypeNameTheirFlag()
    {
        CliTests.AssertUserError(CliTests.Lawcat("distill", "--dtype", "half", "--print-options"), "--dtype 'half'", "expected float32 or bfloat16");
        CliTests.AssertUserError(CliTests.Lawcat("distill", "--device", "cuda:x", "--print-options"), "--device 'cuda:x'", "expected cpu, cuda or cuda:N");
        CliTests.AssertUserError(CliTests.Lawcat("pretrain", "--device", "gpu", "--print-options"), "--device 'gpu'");
    }

    [Fact]
    public void OptionsFilesAndSetReadTheSameNamesAndStoreOneSpelling()
    {
        var json = OptionsIO.ApplySets(OptionsIO.ToJson(DistillOptions.Tiny), new[] { "dtype=bf16", "device=cuda:0" });
        var options = DistillOptions.FromJson(json, "--set");
        Assert.Equal(("bfloat16", "cuda:0"), (options.Dtype, options.Device));
        var e = Assert.Throws<LawcatException>(() => DistillOptions.FromJson(OptionsIO.ApplySets(json, new[] { "dtype=fp16" }), "--set"));
        Assert.Contains("option dtype 'fp16'", e.Message);
    }

    [Fact]
    public void OneParserForEachName()
    {
        Assert.Equal(ScalarType.BFloat16, DTypeNames.Parse("bf16", "--dtype"));
        Assert.Equal(ScalarType.Float32, DTypeNames.Parse("fp32", "--dtype"));
        Assert.Equal("bfloat16", DTypeNames.Normalize("bf16", "option dtype"));
        Assert.Equal("cuda:2", DeviceNames.Parse("cuda:2", "--device"));
        Assert.Equal(CPU.type, DeviceNames.Open("cpu", "--device").type);
        Assert.Throws<LawcatException>(() => DeviceNames.Parse("cuda:", "--device"));
        Assert.Throws<LawcatException>(() => DeviceNames.Parse("cuda:-1", "--device"));
    }
}
