using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class Gpt2TokensTests
{
    // Ids of the GPT-2 tokenizer (Hugging Face "gpt2"): "Hello" 15496, " world" 995, " the" 262, "." 13.
    [Fact]
    public void IdsAreGpt2s()
    {
        Assert.Equal(new[] { 15496, 995 }, Gpt2Tokens.Ids("Hello world"));
        Assert.Equal(new[] { 262, 13 }, Gpt2Tokens.Ids(" the."));
    }

    [Fact]
    public void APrefixCoversWholeTokens()
    {
        const string text = " Mary went back to the kitchen.";
        Assert.Equal(7, Gpt2Tokens.Count(text));
        Assert.Equal(" Mary went back", Gpt2Tokens.Prefix(text, 3));
        Assert.Equal(text, Gpt2Tokens.Prefix(text, 100));
    }
}
