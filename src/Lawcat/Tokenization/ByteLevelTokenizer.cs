using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lawcat.Tokenization;

/// <summary>
/// The tokenizer of our small models: one id per byte, no merges. Id <c>b</c> is byte value <c>b</c> (written as
/// its GPT-2 byte-level symbol), followed by three special tokens: <c>&lt;|begin_of_text|&gt;</c> = 256,
/// <c>&lt;|end_of_text|&gt;</c> = 257, <c>&lt;|pad|&gt;</c> = 258. Encoding with special tokens prepends
/// &lt;|begin_of_text|&gt;. It is saved as an ordinary Hugging Face tokenizer.json (byte-level BPE with an empty merge
/// list) plus tokenizer_config.json, so <c>tokenizers</c> and <c>transformers</c> load it too.
/// </summary>
public static class ByteLevelTokenizer
{
    /// <summary>The beginning-of-text token.</summary>
    public const string BeginOfText = "<|begin_of_text|>";
    /// <summary>The end-of-text token.</summary>
    public const string EndOfText = "<|end_of_text|>";
    /// <summary>The padding token.</summary>
    public const string Pad = "<|pad|>";
    /// <summary>Id of <see cref="BeginOfText"/>.</summary>
    public const int BeginOfTextId = 256;
    /// <summary>Id of <see cref="EndOfText"/>.</summary>
    public const int EndOfTextId = 257;
    /// <summary>Id of <see cref="Pad"/>.</summary>
    public const int PadId = 258;
    /// <summary>Number of ids: 256 bytes and 3 special tokens.</summary>
    public const int VocabSize = 259;

    static readonly (string Content, int Id)[] Specials = { (BeginOfText, BeginOfTextId), (EndOfText, EndOfTextId), (Pad, PadId) };
    // "\n" line ends on every OS, so the files are byte for byte the ones checked against Hugging Face.
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/> (created if needed); returns the tokenizer.json path.</summary>
    public static string Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, TokenizerJson().ToJsonString(Indented));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfigJson().ToJsonString(Indented));
        return path;
    }

    /// <summary>The tokenizer, without going through files.</summary>
    public static BpeTokenizer Create() =>
        BpeTokenizer.FromJson(TokenizerJson().ToJsonString(), "the byte-level tokenizer", new SpecialTokenNames(BeginOfText, EndOfText));

    /// <summary>The tokenizer.json document, in the key order and schema Hugging Face writes.</summary>
    public static JsonObject TokenizerJson() => new()
    {
        ["version"] = "1.0",
        ["truncation"] = null,
        ["padding"] = null,
        ["added_tokens"] = new JsonArray(Specials.Select(s => (JsonNode)AddedTokenJson(s.Content, s.Id)).ToArray()),
        ["normalizer"] = null,
        ["pre_tokenizer"] = ByteLevelComponent(addPrefixSpace: false, useRegex: false),
        ["post_processor"] = BeginOfTextTemplate(),
        ["decoder"] = ByteLevelComponent(addPrefixSpace: true, useRegex: true),
        ["model"] = new JsonObject
        {
            ["type"] = "BPE",
            ["dropout"] = null,
            ["unk_token"] = null,
            ["continuing_subword_prefix"] = null,
            ["end_of_word_suffix"] = null,
            ["fuse_unk"] = false,
            ["byte_fallback"] = false,
            ["ignore_merges"] = false,
            ["vocab"] = ByteVocab(),
            ["merges"] = new JsonArray(),
        },
    };

    /// <summary>The transformers tokenizer_config.json: special token names and their added-token records.</summary>
    public static JsonObject TokenizerConfigJson()
    {
        var decoder = new JsonObject();
        foreach (var (content, id) in Specials)
        {
            var entry = AddedTokenJson(content, id);
            entry.Remove("id");
            decoder[id.ToString()] = entry;
        }
        return new JsonObject
        {
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = BeginOfText,
            ["eos_token"] = EndOfText,
            ["pad_token"] = Pad,
            ["clean_up_tokenization_spaces"] = false,
            ["model_input_names"] = new JsonArray("input_ids", "attention_mask"),
            ["model_max_length"] = 1_000_000_000,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
    }

    static JsonObject ByteVocab()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.Symbol((byte)b).ToString()] = b;
        return vocab;
    }

    static JsonObject AddedTokenJson(string content, int id) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = true,
    };

    static JsonObject ByteLevelComponent(bool addPrefixSpace, bool useRegex) => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = addPrefixSpace,
        ["trim_offsets"] = true,
        ["use_regex"] = useRegex,
    };

    /// <summary>
    /// &lt;|begin_of_text|&gt; $A for one sequence (and, as the schema requires a pair template,
    /// &lt;|begin_of_text|&gt; $A &lt;|begin_of_text|&gt; $B).
    /// </summary>
    static JsonObject BeginOfTextTemplate() => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(Special(0), Sequence("A", 0)),
        ["pair"] = new JsonArray(Special(0), Sequence("A", 0), Special(1), Sequence("B", 1)),
        ["special_tokens"] = new JsonObject
        {
            [BeginOfText] = new JsonObject { ["id"] = BeginOfText, ["ids"] = new JsonArray(BeginOfTextId), ["tokens"] = new JsonArray(BeginOfText) },
        },
    };

    static JsonObject Special(int typeId) => new() { ["SpecialToken"] = new JsonObject { ["id"] = BeginOfText, ["type_id"] = typeId } };

    static JsonObject Sequence(string id, int typeId) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
}
