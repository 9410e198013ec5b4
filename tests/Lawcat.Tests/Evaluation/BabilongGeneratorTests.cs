using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class BabilongGeneratorTests
{
    // BABILong's prompts (booydar/babilong prompts.py), written out here rather than taken from the generator.
    const string Qa2Instruction = "I give you context with the facts about locations and actions of different persons hidden in some random text and a question.You need to answer the question based only on the information from the facts.\nIf a person got an item in the first location and travelled to the second location the item is also in the second location. If a person dropped an item in the first location and moved to the second location the item remains in the first location.";
    const string Qa2Examples = "<example>\nCharlie went to the kitchen. Charlie got a bottle. Charlie moved to the balcony. Where is the bottle?\nAnswer: The bottle is in the balcony.\n</example>\n<example>\nAlan moved to the garage. Alan got a screw driver. Alan moved to the kitchen. Where is the screw driver?\nAnswer: The screw driver is in the kitchen.\n</example>";
    const string Qa2PostPrompt = "Always return your answer in the following format: The ’item’ is in ’location’. Do not write anything else after that.";
    const string Qa3Instruction = "I give you context with the facts about locations and actions of different persons hidden in some random text and a question. You need to answer the question based only on the information from the facts.\nIf a person got an item in the first location and travelled to the second location the item is also in the second location. If a person dropped an item in the first location and moved to the second location the item remains in the first location.";
    const string Qa3Examples = "<example>\nJohn journeyed to the bedroom. Mary grabbed the apple. Mary went back to the bathroom. Daniel journeyed to the bedroom. Daniel moved to the garden. Mary travelled to the kitchen. Where was the apple before the kitchen?\nAnswer: Before the kitchen the apple was in the bathroom.\n</example>\n<example>\nJohn went back to the bedroom. John went back to the garden. John went back to the kitchen. Sandra took the football. Sandra travelled to the garden. Sandra journeyed to the bedroom. Where was the football before the bedroom?\nAnswer: Before the bedroom the football was in the garden.\n</example>";
    const string Qa3PostPrompt = "Always return your answer in the following format: Before the $location_1$ the $item$ was in the $location_2$. Do not write anything else after that.";

    public static IEnumerable<object[]> TasksTokenizersSplits =>
        from t in new[] { BabiTask.Qa2, BabiTask.Qa3 }
        from c in new (string, int)[] { ("words", 1000), ("words", 2000), ("bytes", 4000) }
        select new object[] { t, c.Item1, c.Item2 };

    [Theory]
    [InlineData(BabiTask.Qa2, Qa2Instruction, Qa2Examples, Qa2PostPrompt)]
    [InlineData(BabiTask.Qa3, Qa3Instruction, Qa3Examples, Qa3PostPrompt)]
    public void PromptIsBabilongsDefaultTemplate(BabiTask task, string instruction, string examples, string postPrompt)
    {
        var s = new BabilongGenerator(task, 1).Generate(new ByteTokenizer(), 2000, null, 0);
        Assert.StartsWith($"{instruction}\n\n{examples}\n\n{postPrompt}\n\n<context>\n", s.Prompt);
        Assert.EndsWith($"\n</context>\n\nQuestion: {s.Metadata["question"].TrimEnd()}", s.Prompt);
        Assert.EndsWith("? ", s.Metadata["question"]);
    }

    [Theory]
    [InlineData(BabiTask.Qa2), InlineData(BabiTask.Qa3)]
    public void WithoutBackgroundTheContextIsTheFactsAlone(BabiTask task)
    {
        var s = new BabilongGenerator(task, 2).Generate(new WordTokenizer(), 0, null, 1);
        var context = Context(s.Prompt);
        Assert.Equal(string.Join(" ", s.Metadata["facts"].Split('\n')), context);
        Assert.Equal("0", s.Metadata["background_sentences"]);
    }

    [Theory]
    [InlineData(BabiTask.Qa2), InlineData(BabiTask.Qa3)]
    public void FactsAppearInOrderAmongTheBackgroundAndOffsetsPointAtSupportingFacts(BabiTask task)
    {
        var s = new BabilongGenerator(task, 3).Generate(new ByteTokenizer(), 4000, null, 2);
        var facts = s.Metadata["facts"].Split('\n');
        var at = 0;
        foreach (var fact in facts)
        {
            at = s.Prompt.IndexOf(fact, at, StringComparison.Ordinal);
            Assert.True(at >= 0, $"fact '{fact}' missing or out of order");
            at += fact.Length;
        }
        var support = s.Metadata["supporting_facts"].Split(',').Select(int.Parse).ToList();
        var offsets = s.Metadata["supporting_fact_offsets"].Split(',').Select(int.Parse).ToList();
        foreach (var (fact, offset) in support.Zip(offsets))
            Assert.Equal(facts[fact], s.Prompt.Substring(offset, facts[fact].Length));
        Assert.True(int.Parse(s.Metadata["background_sentences"]) > 10);
    }

    [Theory, MemberData(nameof(TasksTokenizersSplits))]
    public void TheHaystackHoldsTheSplitLessThePromptAllowanceInGpt2TokensAndTheLengthIsTheModels(BabiTask task, string tokenizer, int split)
    {
        var tok = TestTokenizerCases.Get(tokenizer);
        var s = new BabilongGenerator(task, 4).Generate(tok, split, null, 0);
        Assert.Equal(split, s.TargetLength);
        Assert.Equal(tok.Encode(s.Prompt).Count, s.ActualLength);
        // BABILong: facts plus background = L - 300 GPT-2 tokens, each piece counted after a space.
        Assert.Equal(split - 300, Gpt2Tokens.Count(" " + Context(s.Prompt)));
        Assert.Equal(split - 300, int.Parse(s.Metadata["fact_gpt2_tokens"]) + int.Parse(s.Metadata["background_gpt2_tokens"]));
    }

    [Theory]
    [InlineData(BabiTask.Qa2, 1000, 86), InlineData(BabiTask.Qa3, 1000, 86), InlineData(BabiTask.Qa3, 2000, 211)]
    public void SplitsKeepQuestionsOfAtMostBabilongsLinesPerEightTokensAndZeroKeepsAll(BabiTask task, int split, int maxFacts)
    {
        // BABILong keeps a question when facts + question line <= (L - 300) // 8: 87 lines at 1k, 212 at 2k.
        Assert.Equal(maxFacts, BabilongGenerator.MaxFacts(split));
        var generator = new BabilongGenerator(task, 7);
        var counts = Enumerable.Range(0, 60).Select(i => generator.Generate(new WordTokenizer(), split, null, i).Metadata["facts"].Split('\n').Length).ToList();
        Assert.All(counts, c => Assert.InRange(c, 2, maxFacts));
        if (task == BabiTask.Qa3)
        {
            var unfiltered = Enumerable.Range(0, 200).Max(i => generator.Generate(new WordTokenizer(), 0, null, i).Metadata["facts"].Split('\n').Length);
            Assert.True(unfiltered > 86, $"split 0 has no filter, yet its longest of 200 qa3 questions has {unfiltered} facts");
        }
    }

    [Fact]
    public void SameSeedSameSamplesAndTheStoryIsKeptAcrossLengthsWhereItFits()
    {
        var tok = new ByteTokenizer();
        var a = new BabilongGenerator(BabiTask.Qa2, 5).Generate(tok, 3000, null, 7);
        SampleAssert.Same(a, new BabilongGenerator(BabiTask.Qa2, 5).Generate(tok, 3000, null, 7));
        Assert.NotEqual(a.Prompt, new BabilongGenerator(BabiTask.Qa2, 6).Generate(tok, 3000, null, 7).Prompt);
        var longer = new BabilongGenerator(BabiTask.Qa2, 5).Generate(tok, 6000, null, 7);
        Assert.Equal(a.Metadata["facts"], longer.Metadata["facts"]);
        Assert.Equal(a.Answers, longer.Answers);
    }

    [Theory]
    [InlineData(320), InlineData(-1000)]
    public void ASplitTooShortForBabilongsFilterIsAnError(int split)
    {
        var e = Assert.Throws<LawcatException>(() => new BabilongGenerator(BabiTask.Qa3, 1).Generate(new ByteTokenizer(), split, null, 0));
        Assert.Contains($"split {split}", e.Message);
    }

    [Fact]
    public void BabilongTakesNoDepth() =>
        Assert.Throws<ArgumentException>(() => new BabilongGenerator(BabiTask.Qa2, 1).Generate(new ByteTokenizer(), 1000, 0.5, 0));

    static string Context(string prompt)
    {
        var start = prompt.IndexOf("<context>\n", StringComparison.Ordinal) + "<context>\n".Length;
        return prompt[start..prompt.LastIndexOf("\n</context>", StringComparison.Ordinal)];
    }
}
