using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class ScoringTests
{
    [Theory]
    [InlineData("12345", true), InlineData("12345.", true), InlineData(" 12345.", true), InlineData("The pass key is 12345", true)]
    [InlineData("012345 is it", true), InlineData("12345 12345", true), InlineData("12345678", false), InlineData("1234", false)]
    [InlineData("12,345", false), InlineData("The pass key is 54321. Or 12345.", false), InlineData("no digits here", false), InlineData("", false)]
    public void PasskeyTakesTheFirstInteger(string output, bool right) => Assert.Equal(right, PasskeyScorer.IsCorrect(output, "12345"));

    [Fact]
    public void RulerFindsTheValueAnywhereIgnoringCase()
    {
        var s = Sample(EvalTask.SNiah3, "3f2b8c1e-0d4a-4b6e-9c1a-7e5d2f8a9b0c");
        var scorer = new RulerStringMatchScorer();
        Assert.Equal(1, scorer.Score(s, " 3F2B8C1E-0D4A-4B6E-9C1A-7E5D2F8A9B0C.\nThe special magic uuid"));
        Assert.Equal(1, scorer.Score(s, "it is: 3f2b8c1e-0d4a-4b6e-9c1a-7e5d2f8a9b0c"));
        Assert.Equal(0, scorer.Score(s, "3f2b8c1e-0d4a-4b6e-9c1a-7e5d2f8a9b0"));
        Assert.Equal(0.5, scorer.Score(Sample(EvalTask.SNiah1, "1234567", "7654321"), "1234567"));
    }

    [Theory]
    [InlineData("Where is the milk? ", "kitchen", "The milk is in the kitchen.", true)]
    [InlineData("Where is the milk? ", "kitchen", "The milk is in the KITCHEN. Then the garden.", true)]
    [InlineData("Where is the milk? ", "kitchen", "The milk is in the kitchen or the garden.", false)]
    [InlineData("Where is the milk? ", "kitchen", "The milk is in the garden.", false)]
    [InlineData("Where is the milk? ", "kitchen", "kitchen<example>garden", true)]
    [InlineData("Where was the milk before the office? ", "kitchen", "Before the office the milk was in the kitchen.", true)]
    [InlineData("Where was the milk before the office? ", "office", "Before the office the milk was in the office.", false)]
    [InlineData("Where was the milk before the office? ", "kitchen", "Before the hallway the milk was in the kitchen.", false)]
    public void BabilongCountsOnlyTheTargetAmongLabelsOutsideTheQuestion(string question, string target, string output, bool right) =>
        Assert.Equal(right, BabilongLabelScorer.IsCorrect(target, output, question));

    public static IEnumerable<object[]> Generators() => new (string, Func<IEvalGenerator>, int)[]
    {
        ("passkey", () => new PasskeyGenerator(1), 300),
        ("s-niah-1", () => new RulerNiahGenerator(RulerNiahTask.SNiah1, 1), 300),
        ("s-niah-2", () => new RulerNiahGenerator(RulerNiahTask.SNiah2, 1), 300),
        ("s-niah-3", () => new RulerNiahGenerator(RulerNiahTask.SNiah3, 1), 300),
        ("qa2", () => new BabilongGenerator(BabiTask.Qa2, 1), 0),
        ("qa3", () => new BabilongGenerator(BabiTask.Qa3, 1), 0),
    }.Select(g => new object[] { g.Item1, g.Item2, g.Item3 });

    [Theory, MemberData(nameof(Generators))]
    public void AnOracleScoresOne(string name, Func<IEvalGenerator> generator, int length)
    {
        var gen = generator();
        var results = Enumerable.Range(0, 30).Select(i => gen.Generate(new WordTokenizer(), length, null, i)).Select(s => (s, Oracle(s))).ToList();
        var accuracy = EvalScoring.Accuracy(results);
        Assert.True(accuracy == 1.0, $"{name}: the oracle scored {accuracy}");
    }

    /// <summary>The answer in the format each prompt asks for.</summary>
    static string Oracle(EvalSample s)
    {
        var answer = s.Answers.Single();
        if (s.Task == EvalTask.BabilongQa2)
            return $"The {s.Metadata["question"].Split(' ')[3].TrimEnd('?')} is in the {answer}.";
        if (s.Task == EvalTask.BabilongQa3)
        {
            var words = s.Metadata["question"].TrimEnd().TrimEnd('?').Split(' ');
            return $"Before the {words[6]} the {words[3]} was in the {answer}.";
        }
        return s.Task == EvalTask.Passkey ? $" {answer}. Remember it." : $" {answer}.";
    }

    [Theory]
    [InlineData(BabiTask.Qa2, "The apple is in the kitchen.")]
    [InlineData(BabiTask.Qa3, "kitchen")]
    public void AConstantAnswerScoresAtChance(BabiTask task, string constant)
    {
        var gen = new BabilongGenerator(task, 2);
        var samples = Enumerable.Range(0, 600).Select(i => gen.Generate(new WordTokenizer(), 0, null, i)).ToList();
        var accuracy = EvalScoring.Accuracy(samples.Select(s => (s, constant)));
        Assert.Equal(samples.Count(s => s.Answers.Single() == "kitchen") / 600.0, accuracy, 10);
        Assert.InRange(accuracy, 1.0 / 6 - 0.06, 1.0 / 6 + 0.06);
    }

    [Fact]
    public void AccuracyMixesTasksAndRejectsUnknownOnesAndEmptyRuns()
    {
        var results = new[] { (Sample(EvalTask.Passkey, "7"), "7."), (Sample(EvalTask.SNiah2, "1234567"), "none") };
        Assert.Equal(0.5, EvalScoring.Accuracy(results));
        Assert.Throws<ArgumentException>(() => EvalScoring.For("qa9"));
        Assert.Throws<ArgumentException>(() => EvalScoring.Accuracy(Array.Empty<(EvalSample, string)>()));
    }

    static EvalSample Sample(string task, params string[] answers) =>
        new(task, 0, 0, "", answers, 0, 0, null, new Dictionary<string, string>());
}
