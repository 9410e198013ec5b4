namespace Lawcat.Tokenization;

/// <summary>The working parts read from a tokenizer.json.</summary>
/// <param name="Model">The BPE vocabulary and merges.</param>
/// <param name="Added">The added tokens.</param>
/// <param name="PreTokenizer">How text between added tokens is cut into words.</param>
/// <param name="Template">The post-processor's template, applied when special tokens are asked for (ByteLevel post-processors change no ids).</param>
/// <param name="ByteLevelDecoding">Whether the decoder is ByteLevel; otherwise (no decoder) tokens are joined with spaces.</param>
sealed record TokenizerDefinition(BpeModel Model, AddedVocabulary Added, IPreTokenizer PreTokenizer,
    TemplateProcessor? Template, bool ByteLevelDecoding);
