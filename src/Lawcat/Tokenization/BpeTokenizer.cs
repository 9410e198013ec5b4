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
    /// <exception cref="LawcatException">The folder has no usable tokenizer.json, or its ids go past the folder's config.json vocab_size.</exception>
    public static BpeTokenizer FromModelFolder(string folder)
    {
        var config = Path.Combine(folder, "tokenizer_config.json");
        var tokenizerJson = Path.Combine(folder, "tokenizer.json");
        var tokenizer = FromFile(tokenizerJson, File.Exists(config) ? config : null);
        // An id past the embedding table would fail deep inside the model's first forward pass (or read another row on a GPU).
        var modelConfig = Path.Combine(folder, "config.json");
        if (ConfigVocabSize(modelConfig) is int vocab && tokenizer.MaxTokenId >= vocab)
            throw new LawcatException($"{tokenizerJson}: token id {tokenizer.MaxTokenId} is beyond the model's vocabulary (vocab_size {vocab} in {modelConfig}); " +
                "the tokenizer and the model do not belong together.");
        return tokenizer;
    }

    /// <summary>The highest id this tokenizer produces (its vocabulary's and added tokens').</summary>
    public int MaxTokenId => Math.Max(parts.Model.MaxId, parts.Added.Contents.Select(c => parts.Added.TokenToId(c) ?? -1).DefaultIfEmpty(-1).Max());

    /// <summary>config.json's vocab_size when the file exists and has an integer one; reading the rest is the model loader's job.</summary>
    static int? ConfigVocabSize(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("vocab_size", out var v)
                && v.TryGetInt32(out var n) ? n : null;
        }
        catch (System.Text.Json.JsonException) { return null; }
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
