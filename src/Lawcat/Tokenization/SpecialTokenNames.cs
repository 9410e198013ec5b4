using System.Text.Json;

namespace Lawcat.Tokenization;

/// <summary>The BOS and EOS token names of a transformers <c>tokenizer_config.json</c>.</summary>
/// <param name="Bos">bos_token, if set.</param>
/// <param name="Eos">eos_token, if set.</param>
sealed record SpecialTokenNames(string? Bos, string? Eos)
{
    /// <summary>Reads <paramref name="path"/>; each name may be a string or an AddedToken object with a content.</summary>
    public static SpecialTokenNames FromFile(string path)
    {
        if (!File.Exists(path)) throw new LawcatException($"{path}: not found; expected a transformers tokenizer_config.json.");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e)
        {
            throw new LawcatException($"{path}: not valid JSON ({e.Message}); expected a transformers tokenizer_config.json.", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new LawcatException($"{path}: the top level is not an object; expected a transformers tokenizer_config.json.");
            return new SpecialTokenNames(Name(root, "bos_token", path), Name(root, "eos_token", path));
        }
    }

    static string? Name(JsonElement root, string key, string path) => JsonFields.Optional(root, key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.Object } v when JsonFields.Optional(v, "content") is { ValueKind: JsonValueKind.String } c => c.GetString(),
        _ => throw new LawcatException($"{path}: {key} should be a token string or an object with a \"content\" string."),
    };
}
