using System.Text.RegularExpressions;
using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class RulerNiahGeneratorTests
{
    public static IEnumerable<object[]> Tasks => Enum.GetValues<RulerNiahTask>().Select(t => new object[] { t });

    public static IEnumerable<object[]> TasksTokenizersLengths =>
        from t in Enum.GetValues<RulerNiahTask>() from c in TestTokenizerCases.Lengths
        select new object[] { t, c[0], c[1] };

    [Theory]
    [InlineData(RulerNiahTask.SNiah1, "number"), InlineData(RulerNiahTask.SNiah2, "number"), InlineData(RulerNiahTask.SNiah3, "uuid")]
    public void PromptIsRulersSingleNeedleTemplateWithTheAnswerPrefix(RulerNiahTask task, string type)
    {
        var s = new RulerNiahGenerator(task, 1).Generate(new WordTokenizer(), 1000, null, 0);
        var key = s.Metadata["key"];
        // RULER's exact single-needle prompt for a base model.
        Assert.StartsWith($"A special magic {type} is hidden within the following text. Make sure to memorize it. I will quiz you about the {type} afterwards.\n", s.Prompt);
        Assert.EndsWith($"\nWhat is the special magic {type} for {key} mentioned in the provided text? The special magic {type} for {key} mentioned in the provided text is", s.Prompt);
        Assert.Contains($"One of the special magic {type}s for {key} is: {s.Answers.Single()}.", s.Prompt);
    }

    [Fact]
    public void TheEditedTemplateIsExact() =>
        Assert.Equal(
            "A special magic {type_needle_v} is hidden within the following text. Make sure to memorize it. I will quiz you about the {type_needle_v} afterwards.\n{context}\nWhat is the special magic {type_needle_v} for {query} mentioned in the provided text? The special magic {type_needle_v} for {query} mentioned in the provided text is",
            RulerNiahGenerator.SingleNeedleTemplate);

    [Fact]
    public void SNiah1PutsTheNeedleOnItsOwnLineAmongNoiseLines()
    {
        var s = new RulerNiahGenerator(RulerNiahTask.SNiah1, 2).Generate(new ByteTokenizer(), 2000, null, 1);
        var lines = s.Prompt.Split('\n');
        var context = lines[1..^1];
        Assert.Single(context, l => l == s.Metadata["needle"]);
        Assert.All(context.Where(l => l != s.Metadata["needle"]), l => Assert.Equal(RulerNiahGenerator.NoiseLine, l));
        Assert.Equal(int.Parse(s.Metadata["haystack_units"]), context.Length - 1);
    }

    [Theory, MemberData(nameof(Tasks))]
    public void KeysAndValuesHaveRulersForms(RulerNiahTask task)
    {
        var gen = new RulerNiahGenerator(task, 3);
        var samples = Enumerable.Range(0, 50).Select(i => gen.Generate(new WordTokenizer(), 300, null, i)).ToList();
        foreach (var s in samples)
        {
            var parts = s.Metadata["key"].Split('-');
            Assert.Equal(2, parts.Length);
            Assert.Contains(parts[0], WordLists.Adjectives);
            Assert.Contains(parts[1], WordLists.Nouns);
            var value = s.Answers.Single();
            if (task == RulerNiahTask.SNiah3)
                Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", value);
            else
                Assert.InRange(int.Parse(value), 1_000_000, 9_999_999);
        }
        Assert.Equal(50, samples.Select(s => s.Answers.Single()).Distinct().Count());
        Assert.Equal(50, samples.Select(s => s.Metadata["key"]).Distinct().Count());
    }

    [Theory, MemberData(nameof(Tasks))]
    public void SameSeedSamePromptsOtherSeedOthers(RulerNiahTask task)
    {
        var tok = new ByteTokenizer();
        var a = new RulerNiahGenerator(task, 11).Generate(tok, 800, null, 2);
        SampleAssert.Same(a, new RulerNiahGenerator(task, 11).Generate(tok, 800, null, 2));
        Assert.NotEqual(a.Prompt, new RulerNiahGenerator(task, 12).Generate(tok, 800, null, 2).Prompt);
        Assert.NotEqual(a.Prompt, new RulerNiahGenerator(task, 11).Generate(tok, 800, null, 3).Prompt);
    }

    /// <summary>The prompt fits, and one more haystack unit (a noise line or a word) would not: the stated tolerance.</summary>
    [Theory, MemberData(nameof(TasksTokenizersLengths))]
    public void LengthFallsShortByLessThanOneHaystackUnit(RulerNiahTask task, string tokenizer, int target)
    {
        var tok = TestTokenizerCases.Get(tokenizer);
        var s = new RulerNiahGenerator(task, 4).Generate(tok, target, null, 0);
        var units = int.Parse(s.Metadata["haystack_units"]);
        var oneUnit = task == RulerNiahTask.SNiah1
            ? tok.Encode("\n" + RulerNiahGenerator.NoiseLine, false).Count
            : tok.Encode(" " + EssayHaystack.Word(units), false).Count + 1;
        Assert.Equal(tok.Encode(s.Prompt).Count, s.ActualLength);
        Assert.InRange(s.ActualLength, target - oneUnit, target);
    }

    [Theory]
    [InlineData(0.0), InlineData(0.05), InlineData(0.41), InlineData(0.77), InlineData(1.0)]
    public void EssayNeedleSitsBeforeSentenceFloorOfDepthTimesSentences(double depth)
    {
        var tok = new ByteTokenizer();
        var s = new RulerNiahGenerator(RulerNiahTask.SNiah2, 5).Generate(tok, 4096, depth, 0);
        var context = Context(s.Prompt);
        var needleAt = context.IndexOf(s.Metadata["needle"], StringComparison.Ordinal);
        var sentencesBefore = SentenceSplitter.Split(context[..needleAt]).Count;
        var total = sentencesBefore + SentenceSplitter.Split(context[(needleAt + s.Metadata["needle"].Length)..]).Count;
        Assert.Equal((int)(total * depth), sentencesBefore);
        Assert.Equal($"sentence {sentencesBefore} of {total}", s.Metadata["needle_before"]);
        // In tokens: exactly those sentences and the joining spaces come before the needle.
        var contextStart = s.Prompt.IndexOf('\n') + 1;
        var tokensBefore = TestTokenizerCases.TokenOffset(tok, s.Prompt, contextStart + needleAt) - TestTokenizerCases.TokenOffset(tok, s.Prompt, contextStart);
        Assert.Equal(tok.Encode(context[..needleAt], false).Count, tokensBefore);
        // As a share of the context's tokens, the depth is off by at most the longest sentence (the unit it moves in).
        var haystack = context.Replace(s.Metadata["needle"], "");
        var longest = SentenceSplitter.Split(haystack).Max(x => tok.Encode(x, false).Count) / (double)tok.Encode(haystack, false).Count;
        Assert.InRange(tokensBefore / (double)tok.Encode(haystack, false).Count, depth - longest, depth + longest);
    }

    [Theory]
    [InlineData("bytes", 0.0), InlineData("bytes", 0.5), InlineData("bytes", 0.9), InlineData("words", 0.25), InlineData("words", 1.0)]
    public void NoiseNeedleSitsAtLineFloorOfDepthTimesLines(string tokenizer, double depth)
    {
        var tok = TestTokenizerCases.Get(tokenizer);
        var s = new RulerNiahGenerator(RulerNiahTask.SNiah1, 6).Generate(tok, 3000, depth, 0);
        var lines = int.Parse(s.Metadata["haystack_units"]);
        var expectedLine = (int)(lines * depth);
        Assert.Equal(expectedLine, Array.IndexOf(Context(s.Prompt).Split('\n'), s.Metadata["needle"]));
        // In tokens: the needle follows exactly that many noise lines (to within a merge at each edge).
        var needleAt = s.Prompt.IndexOf(s.Metadata["needle"], StringComparison.Ordinal);
        var tokensBefore = TestTokenizerCases.TokenOffset(tok, s.Prompt, needleAt)
                           - TestTokenizerCases.TokenOffset(tok, s.Prompt, s.Prompt.IndexOf('\n') + 1);
        var lineTokens = tok.Encode("\n" + RulerNiahGenerator.NoiseLine, false).Count;
        Assert.InRange(tokensBefore, expectedLine * lineTokens - 2, expectedLine * lineTokens + 2);
        if (tokenizer == "bytes") Assert.Equal(expectedLine * lineTokens, tokensBefore);
    }

    [Fact]
    public void RandomDepthsFollowRuler()
    {
        var tok = new WordTokenizer();
        var essay = Enumerable.Range(0, 80).Select(i => new RulerNiahGenerator(RulerNiahTask.SNiah3, 7).Generate(tok, 300, null, i).Depth!.Value).ToList();
        Assert.All(essay, d => Assert.Contains(d, DepthGrid.Ruler));
        Assert.True(essay.Distinct().Count() > 20);
        var noise = Enumerable.Range(0, 80).Select(i => new RulerNiahGenerator(RulerNiahTask.SNiah1, 7).Generate(tok, 300, null, i).Depth!.Value).ToList();
        Assert.True(noise.Distinct().Count() == 80 && noise.Min() < 0.1 && noise.Max() > 0.9);
    }

    [Fact]
    public void RulerDepthGridIsNumpysRoundedLinspace()
    {
        int[] percent = { 0, 3, 5, 8, 10, 13, 15, 18, 21, 23, 26, 28, 31, 33, 36, 38, 41, 44, 46, 49, 51, 54, 56, 59, 62, 64, 67, 69, 72, 74, 77, 79, 82, 85, 87, 90, 92, 95, 97, 100 };
        Assert.Equal(percent.Select(p => p / 100.0), DepthGrid.Ruler);
        Assert.Equal(new[] { 0, 0.25, 0.5, 0.75, 1 }, DepthGrid.Even(5));
    }

    [Fact]
    public void EssayHaystackIsTheFirstWordsOfTheGutenbergProse()
    {
        Assert.Equal("[Emma by Jane Austen 1816] VOLUME I CHAPTER I Emma Woodhouse, handsome,", EssayHaystack.Text(12));
        Assert.Equal("handsome,", EssayHaystack.Word(11));
        var s = new RulerNiahGenerator(RulerNiahTask.SNiah2, 1).Generate(new WordTokenizer(), 1000, 1.0, 0);
        Assert.StartsWith(EssayHaystack.Text(int.Parse(s.Metadata["haystack_units"])), Context(s.Prompt));
    }

    [Fact]
    public void PromptTargetLeavesRoomForRulersGeneratedTokens() => Assert.Equal(4096 - 128, RulerNiahGenerator.PromptTarget(4096));

    /// <summary>The text between the template's first line and its question line.</summary>
    static string Context(string prompt) => prompt[(prompt.IndexOf('\n') + 1)..prompt.LastIndexOf('\n')];

    [Fact]
    public void SentenceSplitterKeepsAbbreviationsAndInitialsTogether() =>
        Assert.Equal(
            new[] { "Mr. Knightley came in.", "\"Is it so?\" said Emma.", "J. Smith left!", "Then rain." },
            SentenceSplitter.Split("Mr. Knightley came in. \"Is it so?\" said Emma. J. Smith left! Then rain."));

    [Fact]
    public void WordListsAreLowercaseSortedAndDistinct()
    {
        foreach (var list in new[] { WordLists.Adjectives, WordLists.Nouns })
        {
            Assert.True(list.Count > 1000);
            Assert.All(list, w => Assert.Matches(new Regex("^[a-z]{3,12}$"), w));
            Assert.Equal(list.Order(StringComparer.Ordinal), list);
            Assert.Equal(list.Count, list.Distinct().Count());
        }
    }
}
