namespace Lawcat.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> (Llama-3, GPT-2 and our own
/// <see cref="ByteLevelTokenizer"/>), producing the same ids as Hugging Face <c>tokenizers</c>: added tokens are cut
/// out first, the rest is pre-tokenized (regexes matched per code point, as Hugging Face's engine does), mapped to
/// byte-level symbols and merged by rank. Safe to use from several threads.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    readonly TokenizerDefinition parts;

    BpeTokenizer(TokenizerDefinition parts, SpecialTokenNames? names, string source)
    {
        this.parts = parts;
        BosTokenId = names?.Bos is { } bos ? RequireToken(bos, "bos_token", source) : parts.Template?.LeadingSpecialId;
        EosTokenId = names?.Eos is { } eos ? RequireToken(eos, "eos_token", source) : null;
        VocabSize = parts.Model.Count + parts.Added.Contents.Count(c => parts.Model.TokenToId(c) == null);
    }

    /// <summary>
    /// Loads a tokenizer.json, with BOS/EOS names from <paramref name="tokenizerConfigPath"/> (a transformers
    /// tokenizer_config.json) when given. Without it, BOS is the token the post-processor's template starts with,
    /// if any, and EOS is unknown.
    /// </summary>
    /// <exception cref="LawcatException">A file is missing or is not a tokenizer this class reproduces exactly.</exception>
    public static BpeTokenizer FromFile(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        if (!File.Exists(tokenizerJsonPath))
            throw new LawcatException($"{tokenizerJsonPath}: not found; expected a Hugging Face tokenizer.json (byte-level BPE).");
        var names = tokenizerConfigPath == null ? null : SpecialTokenNames.FromFile(tokenizerConfigPath);
        return new BpeTokenizer(TokenizerJsonReader.Read(File.ReadAllText(tokenizerJsonPath), tokenizerJsonPath), names,
            tokenizerConfigPath ?? tokenizerJsonPath);
    }

    /// <summary>Loads <c>tokenizer.json</c> from a model folder, with <c>tokenizer_config.json</c> for BOS/EOS when present.</summary>
    /// <exception cref="LawcatException">The folder has no usable tokenizer.json.</exception>
    public static BpeTokenizer FromModelFolder(string folder)
    {
        var config = Path.Combine(folder, "tokenizer_config.json");
        return FromFile(Path.Combine(folder, "tokenizer.json"), File.Exists(config) ? config : null);
    }

    /// <summary>Builds a tokenizer from tokenizer.json text; <paramref name="source"/> names it in errors.</summary>
    internal static BpeTokenizer FromJson(string tokenizerJson, string source, SpecialTokenNames? names) =>
        new(TokenizerJsonReader.Read(tokenizerJson, source), names, source);

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <inheritdoc/>
    public int? BosTokenId { get; }

    /// <inheritdoc/>
    public int? EosTokenId { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        var words = new List<string>();
        foreach (var segment in parts.Added.Split(text))
        {
            if (segment.AddedTokenId is int id)
            {
                ids.Add(id);
                continue;
            }
            words.Clear();
            parts.PreTokenizer.Split(segment.Text, words);
            foreach (var word in words) parts.Model.Tokenize(word, ids);
        }
        if (addSpecialTokens && parts.Template is { } template) ids = template.Apply(ids);
        return ids;
    }

    /// <inheritdoc/>
    /// <remarks>Unknown ids are skipped, as Hugging Face does.</remarks>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>();
        foreach (var id in ids)
        {
            var token = id < 0 ? null : parts.Added.IdToContent(id) ?? parts.Model.IdToToken(id);
            if (token == null || skipSpecialTokens && parts.Added.IsSpecial(token)) continue;
            tokens.Add(token);
        }
        return parts.ByteLevelDecoding ? ByteLevelDecoder.Decode(tokens) : string.Join(" ", tokens);
    }

    /// <inheritdoc/>
    public int? TokenToId(string token) => parts.Added.TokenToId(token) ?? parts.Model.TokenToId(token);

    int RequireToken(string token, string key, string source) =>
        TokenToId(token) ?? throw new LawcatException($"{source}: {key} '{token}' is not a token of the tokenizer.");
}
