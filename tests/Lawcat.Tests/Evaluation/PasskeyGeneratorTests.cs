using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class PasskeyGeneratorTests
{
    // The landmark-attention / LongLoRA passkey template, written out here rather than taken from the generator.
    const string TaskLine = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.";
    const string Garbage = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    const string Question = "What is the pass key? The pass key is";

    [Fact]
    public void PromptFollowsTheLandmarkTemplate()
    {
        var s = new PasskeyGenerator(seed: 3).Generate(new ByteTokenizer(), 1000, depth: 0.5, index: 0);
        var key = s.Answers.Single();
        var lines = s.Prompt.Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal(TaskLine, lines[0]);
        Assert.Equal($"The pass key is {key}. Remember it. {key} is the pass key.", lines[2]);
        Assert.Equal(Question, lines[4]);
        var filler = string.Join(" ", Enumerable.Repeat(Garbage, 100));
        Assert.StartsWith(lines[1], filler);
        Assert.StartsWith(lines[3], filler);
        Assert.Equal(int.Parse(s.Metadata["filler_chars"]), lines[1].Length + lines[3].Length);
    }

    [Fact]
    public void SameSeedSamePromptsOtherSeedOrIndexOthers()
    {
        var tok = new ByteTokenizer();
        var a = new PasskeyGenerator(7).Generate(tok, 500, null, 4);
        SampleAssert.Same(a, new PasskeyGenerator(7).Generate(tok, 500, null, 4));
        Assert.NotEqual(a.Prompt, new PasskeyGenerator(8).Generate(tok, 500, null, 4).Prompt);
        Assert.NotEqual(a.Prompt, new PasskeyGenerator(7).Generate(tok, 500, null, 5).Prompt);
    }

    [Theory, MemberData(nameof(TestTokenizerCases.Lengths), MemberType = typeof(TestTokenizerCases))]
    public void LengthIsWithinToleranceBelowTheTarget(string tokenizer, int target)
    {
        var tok = TestTokenizerCases.Get(tokenizer);
        for (var i = 0; i < 3; i++)
        {
            var s = new PasskeyGenerator(1).Generate(tok, target, null, i);
            Assert.Equal(tok.Encode(s.Prompt).Count, s.ActualLength);
            Assert.Equal(target, s.TargetLength);
            Assert.InRange(s.ActualLength, target - PasskeyGenerator.LengthTolerance, target);
        }
    }

    [Theory]
    [InlineData("bytes", 0.0), InlineData("bytes", 0.1), InlineData("bytes", 0.5), InlineData("bytes", 0.77), InlineData("bytes", 1.0)]
    [InlineData("words", 0.0), InlineData("words", 0.3), InlineData("words", 1.0)]
    public void NeedleSitsAtTheRequestedDepthInTokens(string tokenizer, double depth)
    {
        var tok = TestTokenizerCases.Get(tokenizer);
        var s = new PasskeyGenerator(2).Generate(tok, 2000, depth, 0);
        Assert.Equal(depth, s.Depth);
        var needle = s.Prompt.IndexOf("The pass key is", StringComparison.Ordinal);
        var afterNeedle = s.Prompt.IndexOf('\n', needle) + 1;
        var question = s.Prompt.LastIndexOf('\n');
        var fillerStart = TestTokenizerCases.TokenOffset(tok, s.Prompt, TaskLine.Length + 1);
        var before = TestTokenizerCases.TokenOffset(tok, s.Prompt, needle) - fillerStart;
        var after = TestTokenizerCases.TokenOffset(tok, s.Prompt, question) - TestTokenizerCases.TokenOffset(tok, s.Prompt, afterNeedle);
        Assert.InRange(before / (double)(before + after), depth - 2.0 / (before + after), depth + 2.0 / (before + after));
    }

    [Fact]
    public void PassKeysAndRandomDepthsCoverTheirRanges()
    {
        var tok = new WordTokenizer();
        var samples = Enumerable.Range(0, 200).Select(i => new PasskeyGenerator(5).Generate(tok, 200, null, i)).ToList();
        var keys = samples.Select(s => int.Parse(s.Answers.Single())).ToList();
        Assert.All(keys, k => Assert.InRange(k, 1, 50000));
        Assert.True(keys.Distinct().Count() > 190);
        var depths = samples.Select(s => s.Depth!.Value).ToList();
        Assert.All(depths, d => Assert.InRange(d, 0, 1));
        Assert.True(depths.Min() < 0.05 && depths.Max() > 0.95 && Math.Abs(depths.Average() - 0.5) < 0.06);
    }

    [Fact]
    public void KeyAndDepthStayTheSameAcrossLengths()
    {
        var tok = new ByteTokenizer();
        var a = new PasskeyGenerator(9).Generate(tok, 1000, null, 3);
        var b = new PasskeyGenerator(9).Generate(tok, 3000, null, 3);
        Assert.Equal(a.Answers, b.Answers);
        Assert.Equal(a.Depth, b.Depth);
    }

    [Fact]
    public void ATargetShorterThanTheTemplateGivesTheBarePrompt()
    {
        var s = new PasskeyGenerator(1).Generate(new ByteTokenizer(), 10, 0.5, 0);
        Assert.Equal("0", s.Metadata["filler_chars"]);
        Assert.True(s.ActualLength > 10);
    }
}
