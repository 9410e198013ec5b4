namespace Lawcat.Tokenization;

/// <summary>A pattern a pre-tokenizer splits text on, matched the way Hugging Face's regex engine (Oniguruma) would.</summary>
interface ISplitPattern
{
    /// <summary>Length in UTF-16 units of the match that starts at <paramref name="start"/>, or 0 if none starts there.</summary>
    int MatchAt(string text, int start);
}
