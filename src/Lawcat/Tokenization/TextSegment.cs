namespace Lawcat.Tokenization;

/// <summary>A stretch of input text: either an added token (with its id) or text still to be pre-tokenized.</summary>
readonly record struct TextSegment(string Text, int? AddedTokenId);
