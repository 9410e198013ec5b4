using Lawcat.Tokenization;

namespace Lawcat.Tests.Evaluation;

/// <summary>The test tokenizers by name, for theories (names keep test cases readable).</summary>
public static class TestTokenizerCases
{
    public static ITokenizer Get(string name) => name switch
    {
        "bytes" => new ByteTokenizer(),
        "words" => new WordTokenizer(),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// Tokenizer and target pairs for length tests: 256 to 4096 tokens, the byte tokenizer only from 1000 on because
    /// the templates alone take some 300 bytes.
    /// </summary>
    public static IEnumerable<object[]> Lengths { get; } = new (string, int)[]
    {
        ("words", 256), ("words", 1000), ("words", 4096), ("bytes", 1000), ("bytes", 4096),
    }.Select(c => new object[] { c.Item1, c.Item2 }).ToArray();

    /// <summary>Token offset of character <paramref name="charIndex"/> of <paramref name="text"/>: tokens of the text before it.</summary>
    public static int TokenOffset(ITokenizer tok, string text, int charIndex) => tok.Encode(text[..charIndex]).Count;
}
