using Lawcat.Conversion;
using Lawcat.Llama;

namespace Lawcat.Tests.Conversion;

/// <summary>
/// Llama knows nothing of LAWCAT: a student folder is written and read back through <see cref="StudentFolder"/>, and
/// the plain Llama loader and writer refuse what they cannot describe instead of losing the LAWCAT layers.
/// </summary>
public class StudentFolderTests
{
    [Fact]
    public void AStudentSavedAndLoadedThroughItsFolderKeepsItsLawcatLayers()
    {
        var student = TinyModels.Student(keepSoftmax: new[] { 1 });
        var dir = TestPaths.NewTempDir();
        StudentFolder.Save(student, dir);
        using var again = StudentFolder.Load(dir);
        Assert.Equal(new[] { 0 }, LawcatConversion.LawcatLayers(again).Select(l => l.LayerIndex));
    }

    [Fact]
    public void ThePlainLlamaWriterRefusesAStudent()
    {
        var dir = TestPaths.NewTempDir();
        var e = Assert.Throws<LawcatException>(() => TinyModels.Student().SavePretrained(dir));
        Assert.Contains("layer 0 runs LawcatAttention", e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void ThePlainLlamaLoaderRefusesAStudentFolder()
    {
        var dir = TestPaths.NewTempDir();
        StudentFolder.Save(TinyModels.Student(), dir);
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("q_conv1d", e.Message);
    }

    [Fact]
    public void ThePlainLlamaConfigReaderRefusesAnExportedStudentsModelType()
    {
        var dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"),
            $$"""{"model_type": "{{StudentFolder.ExportedModelType}}", "hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 64, "vocab_size": 64}""");
        var e = Assert.Throws<LawcatException>(() => LlamaConfig.FromFile(dir));
        Assert.Contains("expected 'llama'", e.Message);
    }
}
