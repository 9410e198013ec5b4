using Lawcat.Data;
using Lawcat.Tokenization;

namespace Lawcat.Tests.Distillation;

/// <summary>A tokenizer with one id per character (ids 3..), BOS 1, EOS 2: enough to test packing.</summary>
sealed class CharTokenizer : ITokenizer
{
    public int VocabSize => 70000;
    public int? BosTokenId => 1;
    public int? EosTokenId => 2;
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) =>
        (addSpecialTokens ? new[] { 1 } : Array.Empty<int>()).Concat(text.Select(c => (int)c + 3)).ToList();
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => new(ids.Where(i => i >= 3).Select(i => (char)(i - 3)).ToArray());
    public int? TokenToId(string token) => null;
}

[Trait("Category", "Distill")]
public class DataPipelineTests
{
    static string[] Docs(int n) => Enumerable.Range(0, n).Select(i => new string((char)('a' + i % 26), 5 + i * 7 % 41)).ToArray();

    [Fact]
    public void PackingCoversEveryTokenOncePerEpoch()
    {
        var docs = Docs(60);
        var data = PackedDataset.Build(docs, new CharTokenizer(), 32, evalChunks: 3);
        long expected = docs.Sum(d => d.Length + 2);
        Assert.Equal(expected, data.TokenCount);
        var seen = new List<int>();
        foreach (var c in data.EvalChunks.Concat(data.EpochOrder(0, 7)))
        {
            var (tokens, length) = data.Chunk(c);
            seen.AddRange(tokens.Span[..length].ToArray());
        }
        // Every chunk exactly once: re-ordering chunks by index reproduces the packed stream.
        Assert.Equal(data.ChunkCount, data.EvalChunks.Count + data.EpochOrder(0, 7).Length);
        Assert.Equal(data.ChunkCount, data.EvalChunks.Concat(data.EpochOrder(0, 7)).Distinct().Count());
        var stream = docs.SelectMany(d => new[] { 1 }.Concat(d.Select(ch => ch + 3)).Append(2)).ToArray();
        var ordered = Enumerable.Range(0, data.ChunkCount).SelectMany(i => data.Chunk(i).Tokens.Span[..data.Chunk(i).Length].ToArray()).ToArray();
        Assert.Equal(stream, ordered);
        Assert.Equal(expected, seen.Count);
    }

    [Fact]
    public void OrderIsDeterministicPerSeedAndEpoch()
    {
        var data = PackedDataset.Build(Docs(80), new CharTokenizer(), 16, evalChunks: 4);
        Assert.Equal(data.EpochOrder(0, 1), data.EpochOrder(0, 1));
        Assert.NotEqual(data.EpochOrder(0, 1), data.EpochOrder(1, 1));
        Assert.NotEqual(data.EpochOrder(0, 1), data.EpochOrder(0, 2));
    }

    [Fact]
    public void BatchStreamResumesWhereItStopped()
    {
        var data = PackedDataset.Build(Docs(80), new CharTokenizer(), 16, evalChunks: 4);
        int[] Synthetic(long i) => Enumerable.Repeat(9, 10).ToArray();
        var a = new BatchStream(data, 3, null, 0.3, Synthetic);
        var first = Enumerable.Range(0, 40).Select(_ => a.Next(3).Ids.data<long>().ToArray()).ToList();
        var b = new BatchStream(data, 3, null, 0.3, Synthetic);
        for (int i = 0; i < 17; i++) b.Next(3);
        var resumed = new BatchStream(data, 3, b.Position, 0.3, Synthetic);
        for (int i = 17; i < 40; i++) Assert.Equal(first[i], resumed.Next(3).Ids.data<long>().ToArray());
        Assert.Contains(first, rows => rows.Contains(9));
    }

    [Fact]
    public void JsonlTextAndAlpacaRecordsAreRead()
    {
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "d.jsonl");
        File.WriteAllLines(file, new[]
        {
            "{\"text\": \"plain text\"}",
            "{\"instruction\": \"Add.\", \"input\": \"2 and 3\", \"output\": \"5\"}",
            "{\"instruction\": \"Greet.\", \"output\": \"Hi\"}",
        });
        var docs = TrainingText.Documents(new[] { file }).ToList();
        Assert.Equal("plain text", docs[0]);
        Assert.Contains("### Input:\n2 and 3", docs[1]);
        Assert.EndsWith("### Response:\n5", docs[1]);
        Assert.DoesNotContain("### Input", docs[2]);
    }

    [Fact]
    public void BadDataFilesNameFileAndLine()
    {
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "bad.jsonl");
        File.WriteAllLines(file, new[] { "{\"text\": \"ok\"}", "{\"prompt\": \"x\"}" });
        var e = Assert.Throws<LawcatException>(() => TrainingText.Documents(new[] { file }).ToList());
        Assert.Contains("bad.jsonl line 2", e.Message);
        Assert.Throws<LawcatException>(() => TrainingText.Documents(new[] { Path.Combine(dir, "missing.txt") }).ToList());
        File.WriteAllText(Path.Combine(dir, "x.csv"), "a");
        Assert.Contains("x.csv", Assert.Throws<LawcatException>(() => TrainingText.Documents(new[] { Path.Combine(dir, "x.csv") }).ToList()).Message);
    }

    [Fact]
    public void TooLittleDataNamesTheCallingCommandsOptions()
    {
        string Error(DataSizeKeys? names) => Assert.Throws<LawcatException>(() => PackedDataset.Build(Docs(2), new CharTokenizer(), 512, evalChunks: 8, names: names)).Message;
        Assert.Contains("need at least 9 (8 held out", Error(null));
        Assert.Contains("Add data (data.files) or lower data.sequence_length / data.eval_chunks.", Error(DataSizeKeys.Distill));
        var pretrain = Error(DataSizeKeys.Pretrain);
        Assert.Contains("Add data (files) or lower sequence_length / eval_chunks.", pretrain);
        Assert.DoesNotContain("data.", pretrain);
        var ppl = Error(DataSizeKeys.EvalPpl);
        Assert.Contains("--seq-len / --chunks", ppl);
        Assert.DoesNotContain("data.", ppl);
    }

    [Fact]
    public void PasskeyTrainingSamplesHoldFillerAndTheirAnswerWithinTheSequence()
    {
        var tok = new CharTokenizer();
        const int length = 512;
        var samples = new PasskeyTrainingSamples(tok, length, seed: 4);
        var fixedText = tok.Encode(Lawcat.Evaluation.PasskeyGenerator.Prompt(50000, 0, 0)).Count;
        var group = Lawcat.Evaluation.PasskeyGenerator.Garbage.Length + 1;
        Assert.Equal(fixedText + group + " 50000.".Length + 1, samples.ShortestSequence);
        var lengths = new List<int>();
        for (int i = 0; i < 200; i++)
        {
            var ids = samples.Sample(i);
            var text = tok.Decode(ids);
            lengths.Add(ids.Length);
            Assert.True(ids.Length <= length, $"sample {i}: {ids.Length} tokens");
            Assert.Equal(2, ids[^1]);
            var key = System.Text.RegularExpressions.Regex.Match(text, "The pass key is ([0-9]+)\\.").Groups[1].Value;
            Assert.EndsWith($"The pass key is {key}.", text);
            int fillerChars = text.Length - $" {key}.".Length - Lawcat.Evaluation.PasskeyGenerator.Prompt(int.Parse(key), 0, 0).Length;
            Assert.True(fillerChars >= group, $"sample {i}: {fillerChars} filler characters");
        }
        // Lengths spread over the whole room, not piled up at the fixed text's length.
        Assert.True(lengths.Min() >= fixedText + group && lengths.Max() > length - 20, $"lengths {lengths.Min()}..{lengths.Max()}");
        Assert.True(lengths.Distinct().Count() > 50);

        Assert.Throws<ArgumentException>(() => new PasskeyTrainingSamples(tok, samples.ShortestSequence - 1, 4));
        var logged = new List<string>();
        Assert.Null(PasskeyTrainingSamples.IfTheyFit(tok, 128, 4, 0.5, "data.passkey_ratio", "data.sequence_length", logged.Add));
        Assert.Contains("data.passkey_ratio 0.5 ignored: 128-token sequences cannot hold a passkey sample", Assert.Single(logged));
        Assert.Contains("raise data.sequence_length", logged[0]);
        Assert.Null(PasskeyTrainingSamples.IfTheyFit(tok, length, 4, 0, "r", "l", logged.Add));
        Assert.NotNull(PasskeyTrainingSamples.IfTheyFit(tok, length, 4, 0.5, "r", "l", logged.Add));
    }
}
