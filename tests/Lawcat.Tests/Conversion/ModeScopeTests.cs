using Lawcat.Attention;
using Lawcat.Conversion;

namespace Lawcat.Tests.Conversion;

/// <summary>The one mode switch: a scope sets every LAWCAT layer's mode and gives each layer its own mode back.</summary>
public class ModeScopeTests
{
    [Fact]
    public void AScopeGivesEachLayerBackItsOwnMode()
    {
        var student = TinyModels.Student(config: TinyModels.Config with { NumHiddenLayers = 3 });
        var layers = LawcatConversion.LawcatLayers(student).ToList();
        (layers[0].Mode, layers[1].Mode, layers[2].Mode) = (LawcatMode.Teacher, LawcatMode.Student, LawcatMode.AttentionTransfer);
        using (LawcatConversion.ModeScope(student, LawcatMode.AttentionTransfer))
            Assert.All(layers, l => Assert.Equal(LawcatMode.AttentionTransfer, l.Mode));
        Assert.Equal(new[] { LawcatMode.Teacher, LawcatMode.Student, LawcatMode.AttentionTransfer }, layers.Select(l => l.Mode));
    }

    [Fact]
    public void AFailureInsideTheScopeStillRestoresTheModes()
    {
        var student = TinyModels.Student();
        LawcatConversion.SetMode(student, LawcatMode.Student);
        void FailInside()
        {
            using var _ = LawcatConversion.ModeScope(student, LawcatMode.Teacher);
            throw new InvalidOperationException("inside");
        }
        Assert.Throws<InvalidOperationException>(FailInside);
        Assert.All(LawcatConversion.LawcatLayers(student), l => Assert.Equal(LawcatMode.Student, l.Mode));
    }
}
