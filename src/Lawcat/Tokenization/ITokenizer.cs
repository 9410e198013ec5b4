namespace Lawcat.Tokenization;

/// <summary>Text to token ids and back, as a model folder's tokenizer defines it.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids (base vocabulary plus added tokens).</summary>
    int VocabSize { get; }

    /// <summary>The beginning-of-sequence id, if the tokenizer has one.</summary>
    int? BosTokenId { get; }

    /// <summary>The end-of-sequence id, if the tokenizer has one.</summary>
    int? EosTokenId { get; }

    /// <summary>
    /// Ids for <paramref name="text"/>. Special tokens written in the text are recognized as such.
    /// <paramref name="addSpecialTokens"/> applies the tokenizer's post-processor (e.g. a leading BOS).
    /// </summary>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    /// <summary>The text of <paramref name="ids"/>; special tokens are dropped with <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>The id of a token string (e.g. "&lt;|eot_id|&gt;"), or null if unknown.</summary>
    int? TokenToId(string token);
}
