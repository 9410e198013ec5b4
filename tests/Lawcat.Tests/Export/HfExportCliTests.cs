using Lawcat.IO;
using Lawcat.Tests.Notebooks;

namespace Lawcat.Tests.Export;

/// <summary><c>lawcat export --format hf</c> as users run it: the folder, the reference outputs, and one-line errors.</summary>
[Trait("Category", "Cli")]
public class HfExportCliTests
{
    static void AssertUserError((int ExitCode, string Output) r, params string[] mentions)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error:", r.Output.TrimStart());
        Assert.DoesNotContain("   at ", r.Output);
        var text = string.Join(" ", r.Output.Split('\n', StringSplitOptions.TrimEntries));   // the console wraps long lines
        foreach (var m in mentions) Assert.Contains(m, text);
    }

    [Fact]
    public void ExportsAStudentFolderWithReferenceOutputs()
    {
        var dir = TestPaths.NewTempDir();
        var (outDir, reference) = (Path.Combine(dir, "hf"), Path.Combine(dir, "reference.safetensors"));
        var r = CliRunner.Run(new[] { "export", "--format", "hf", "--model", Path.Combine(TestPaths.Fixtures, "hf-export", "window-fullrank"),
            "--out", outDir, "--reference-logits", reference, "--reference-length", "10" });
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("trust_remote_code=True", r.Output);
        foreach (var f in new[] { "config.json", "model.safetensors", "modeling_lawcat.py", "configuration_lawcat.py", "lawcat_attention.py" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        Assert.Equal(new long[] { 2, 10, 97 }, SafetensorsFile.Open(reference).Entries["logits"].Shape);
    }

    [Fact]
    public void BadArgumentsGiveOneLineErrors()
    {
        var student = Path.Combine(TestPaths.Fixtures, "hf-export", "headline");
        var outDir = Path.Combine(TestPaths.NewTempDir(), "x");
        AssertUserError(CliRunner.Run(new[] { "export", "--format", "onnx", "--model", student, "--out", outDir }), "--format 'onnx'", "lawcat or hf");
        AssertUserError(CliRunner.Run(new[] { "export", "--format", "hf", "--model", TestPaths.LlamaFixture("gqa1-tied"), "--out", outDir }), "no LAWCAT layers", "--student");
        AssertUserError(CliRunner.Run(new[] { "export", "--format", "hf", "--model", student, "--out", outDir, "--reference-logits", Path.Combine(outDir, "r.safetensors"), "--reference-length", "2" }), "--reference-length 2");
        Assert.False(File.Exists(Path.Combine(outDir, "r.safetensors")));
    }
}
