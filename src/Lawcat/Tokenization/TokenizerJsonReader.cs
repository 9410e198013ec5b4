using System.Text.Json;

namespace Lawcat.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json into a <see cref="TokenizerDefinition"/>. It accepts what byte-level BPE
/// tokenizers such as Llama-3's and GPT-2's use and rejects, with a message, anything whose behaviour it would not
/// reproduce exactly.
/// </summary>
sealed class TokenizerJsonReader
{
    const string Expected = "expected a byte-level BPE tokenizer.json (model.type 'BPE', as Llama-3 and GPT-2 use)";
    readonly JsonFields f;

    TokenizerJsonReader(string source) => f = new JsonFields(source);

    /// <summary>Parses <paramref name="json"/>; <paramref name="source"/> names it in errors.</summary>
    public static TokenizerDefinition Read(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new LawcatException($"{source}: not valid JSON ({e.Message}); {Expected}.", e); }
        using (doc) return new TokenizerJsonReader(source).Read(doc.RootElement);
    }

    TokenizerDefinition Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw f.Error("the top level", $"is not an object; {Expected}.");
        var version = f.String(root, "version", "tokenizer");
        if (version is not null and not "1.0") throw f.Error("version", $"is '{version}'; expected \"1.0\".");
        var model = ReadModel(f.Object(root, "model", "tokenizer"));
        RejectPresent(root, "truncation", "set it to null and truncate the ids yourself");
        RejectPresent(root, "padding", "set it to null and pad the ids yourself");
        if (JsonFields.Optional(root, "normalizer") is { } normalizer)
            throw f.Error("normalizer", $"of type '{TypeOf(normalizer)}' is not supported; "
                + "only tokenizers without a normalizer (\"normalizer\": null, as Llama-3's) are.");
        var added = new AddedVocabulary(ReadAddedTokens(root), model);
        return new TokenizerDefinition(model, added, ReadPreTokenizer(JsonFields.Optional(root, "pre_tokenizer"), "pre_tokenizer"),
            ReadPostProcessorTemplate(root), ReadDecoder(root));
    }

    /// <summary>
    /// At most one template: Hugging Face hands a second TemplateProcessing in a Sequence the pieces the first one
    /// produced (as a pair, or it panics), which is not "apply both".
    /// </summary>
    TemplateProcessor? ReadPostProcessorTemplate(JsonElement root)
    {
        var templates = ReadPostProcessor(JsonFields.Optional(root, "post_processor"), "post_processor");
        if (templates.Count > 1) throw f.Error("post_processor", $"has {templates.Count} TemplateProcessing steps; at most one is supported.");
        return templates.SingleOrDefault();
    }

    void RejectPresent(JsonElement root, string name, string advice)
    {
        if (JsonFields.Optional(root, name) != null) throw f.Error(name, $"is set; {name} inside the tokenizer is not supported ({advice}).");
    }

    string TypeOf(JsonElement component) =>
        component.ValueKind == JsonValueKind.Object ? f.String(component, "type", "") ?? "?" : component.ValueKind.ToString();

    BpeModel ReadModel(JsonElement model)
    {
        var type = f.String(model, "type", "model") ?? (JsonFields.Optional(model, "merges") != null ? "BPE" : "(none)");
        if (type != "BPE") throw f.Error("model.type", $"is '{type}'; {Expected}.");
        if (JsonFields.Optional(model, "dropout") is { } dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
            throw f.Error("model.dropout", "is set; BPE dropout (random merges for training) is not supported.");
        foreach (var name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (f.String(model, name, "model") != null) throw f.Error($"model.{name}", "is set; it is not supported (byte-level BPE does not use it).");
        if (f.Bool(model, "byte_fallback", "model", absent: false))
            throw f.Error("model.byte_fallback", "is true; it is not supported (byte-level BPE does not need it).");
        var vocab = ReadVocab(f.Object(model, "vocab", "model"));
        var merges = ReadMerges(f.Array(model, "merges", "model"), vocab);
        int? unkId = null;
        if (f.String(model, "unk_token", "model") is { } unk)
            unkId = vocab.TryGetValue(unk, out var id) ? id : throw f.Error("model.unk_token", $"'{unk}' is not in model.vocab.");
        return new BpeModel(vocab, merges, unkId, f.Bool(model, "fuse_unk", "model", false), f.Bool(model, "ignore_merges", "model", false));
    }

    Dictionary<string, int> ReadVocab(JsonElement vocab)
    {
        var result = new Dictionary<string, int>();
        foreach (var entry in vocab.EnumerateObject()) result[entry.Name] = f.Id(entry.Value, $"model.vocab[\"{entry.Name}\"]");
        return result;
    }

    BpeMerges ReadMerges(JsonElement merges, Dictionary<string, int> vocab)
    {
        var result = new BpeMerges();
        int rank = 0;
        foreach (var merge in merges.EnumerateArray())
        {
            var (left, right) = MergePair(merge, rank);
            if (left == null) continue;
            var where = $"model.merges[{rank}] (\"{left} {right}\")";
            if (!vocab.TryGetValue(left, out var l) || !vocab.TryGetValue(right!, out var r)
                || !vocab.TryGetValue(left + right, out var m))
                throw f.Error(where, "uses or makes a token that is not in model.vocab.");
            result.Add(l, r, rank++, m);
        }
        return result;
    }

    /// <summary>A merge written as "a b" or as ["a", "b"]; a legacy "#version" line gives (null, null).</summary>
    (string? Left, string? Right) MergePair(JsonElement merge, int rank)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var line = merge.GetString()!;
            if (line.StartsWith("#version")) return (null, null);
            var parts = line.Split(' ');
            return parts.Length == 2 ? (parts[0], parts[1]) : throw f.Error($"model.merges[{rank}]", $"\"{line}\" is not two tokens separated by one space.");
        }
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2 && merge.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return (merge[0].GetString(), merge[1].GetString());
        throw f.Error($"model.merges[{rank}]", "should be \"a b\" or [\"a\", \"b\"].");
    }

    IEnumerable<AddedToken> ReadAddedTokens(JsonElement root)
    {
        if (JsonFields.Optional(root, "added_tokens") is not { } tokens) yield break;
        if (tokens.ValueKind != JsonValueKind.Array) throw f.Error("added_tokens", "should be an array.");
        int i = 0;
        foreach (var t in tokens.EnumerateArray())
        {
            var where = $"added_tokens[{i++}]";
            var content = f.String(t, "content", where) ?? throw f.Error(where, "has no content.");
            bool special = f.Bool(t, "special", where, false);
            yield return new AddedToken(content, f.Bool(t, "single_word", where, false), f.Bool(t, "lstrip", where, false),
                f.Bool(t, "rstrip", where, false), f.Bool(t, "normalized", where, !special), special);
        }
    }

    IPreTokenizer ReadPreTokenizer(JsonElement? node, string where)
    {
        if (node is not { } p) return new WholePreTokenizer();
        var type = f.Type(p, where);
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(f.Array(p, "pretokenizers", where).EnumerateArray()
                .Select((step, i) => ReadPreTokenizer(step, $"{where}.pretokenizers[{i}]")).ToList()),
            "ByteLevel" => new ByteLevelPreTokenizer(f.Bool(p, "add_prefix_space", where, true), f.Bool(p, "use_regex", where, true)),
            "Split" => ReadSplit(p, where),
            _ => throw f.Error(where, $"type '{type}' is not supported; supported pre-tokenizers are ByteLevel, Split (Isolated) and Sequence of them."),
        };
    }

    IPreTokenizer ReadSplit(JsonElement split, string where)
    {
        var behavior = f.String(split, "behavior", where);
        if (behavior != "Isolated") throw f.Error($"{where}.behavior", $"is '{behavior}'; only 'Isolated' is supported.");
        if (f.Bool(split, "invert", where, false)) throw f.Error($"{where}.invert", "is true; only false is supported.");
        var pattern = f.Object(split, "pattern", where);
        if (f.String(pattern, "String", where + ".pattern") is { Length: > 0 } literal)
            return new SplitPreTokenizer(new LiteralSplitPattern(literal));
        return f.String(pattern, "Regex", where + ".pattern") switch
        {
            Llama3SplitPattern.Source => new SplitPreTokenizer(Llama3SplitPattern.Instance),
            Gpt2SplitPattern.Source => new SplitPreTokenizer(Gpt2SplitPattern.Instance),
            var other => throw f.Error($"{where}.pattern", $"'{other}' is not supported; regexes are matched by hand-written code "
                + "that exists for Llama-3's and GPT-2's patterns only (non-empty String patterns also work)."),
        };
    }

    List<TemplateProcessor> ReadPostProcessor(JsonElement? node, string where)
    {
        if (node is not { } p) return [];
        var type = f.Type(p, where);
        return type switch
        {
            "Sequence" => f.Array(p, "processors", where).EnumerateArray()
                .SelectMany((step, i) => ReadPostProcessor(step, $"{where}.processors[{i}]")).ToList(),
            "ByteLevel" => [],
            "TemplateProcessing" => [ReadTemplate(p, where)],
            _ => throw f.Error(where, $"type '{type}' is not supported; supported post-processors are ByteLevel, TemplateProcessing and Sequence of them."),
        };
    }

    TemplateProcessor ReadTemplate(JsonElement template, string where)
    {
        var specials = f.Object(template, "special_tokens", where);
        var parts = new List<int[]?>();
        int i = 0;
        foreach (var piece in f.Array(template, "single", where).EnumerateArray())
        {
            var at = $"{where}.single[{i++}]";
            if (JsonFields.Optional(piece, "Sequence") is { } seq)
            {
                if (f.String(seq, "id", at) != "A") throw f.Error(at, "refers to sequence B, which a single-sequence template cannot use.");
                parts.Add(null);
            }
            else if (JsonFields.Optional(piece, "SpecialToken") is { } special)
            {
                var name = f.String(special, "id", at) ?? throw f.Error(at, "has no special token id.");
                var entry = JsonFields.Optional(specials, name) ?? throw f.Error(at, $"names '{name}', which is not in special_tokens.");
                parts.Add(f.Array(entry, "ids", $"{where}.special_tokens[\"{name}\"]").EnumerateArray().Select(id => f.Id(id, at)).ToArray());
            }
            else throw f.Error(at, "should be {\"Sequence\": ...} or {\"SpecialToken\": ...}.");
        }
        return new TemplateProcessor(parts);
    }

    bool ReadDecoder(JsonElement root)
    {
        if (JsonFields.Optional(root, "decoder") is not { } d) return false;
        var type = f.Type(d, "decoder");
        return type == "ByteLevel" ? true : throw f.Error("decoder", $"type '{type}' is not supported; only ByteLevel (or none) is.");
    }
}
