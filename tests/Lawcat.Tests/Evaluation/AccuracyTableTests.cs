using System.Text;
using Lawcat.Evaluation;
using Lawcat.Statistics;

namespace Lawcat.Tests.Evaluation;

/// <summary>Needle positions, distance bins, paired comparisons and the accuracy tables built from them.</summary>
[Trait("Category", "Evals")]
public class AccuracyTableTests
{
    [Fact]
    public void NeedleDistanceCountsThePromptTokensAfterTheNeedle()
    {
        var tok = new ByteTokenizer();
        foreach (var (length, index) in new[] { (400, 0), (900, 1), (900, 2) })
        {
            var sample = new PasskeyGenerator(5).Generate(tok, length, null, index);
            var needle = sample.Metadata["needle"];
            int at = sample.Prompt.IndexOf(needle, StringComparison.Ordinal);
            var position = NeedlePosition.Locate(tok, sample)!;
            // One token per byte after a BOS: positions are byte offsets plus one.
            Assert.Equal(1 + at, position.Start);
            Assert.Equal(Encoding.UTF8.GetByteCount(sample.Prompt[(at + needle.Length)..]), position.Distance);
            Assert.Equal(sample.ActualLength, position.PromptTokens);
            var ids = tok.Encode(sample.Prompt);
            var key = sample.Answers[0];
            Assert.Equal(2 * key.Length, position.AnswerTokens.Count);   // the key appears twice in its line
            Assert.Equal(key + key, tok.Decode(position.AnswerTokens.Select(i => ids[i])));
        }
        var noNeedle = new EvalSample("babilong_qa2", 0, 0, "a story", new[] { "kitchen" }, 10, 8, null, new Dictionary<string, string>());
        Assert.Null(NeedlePosition.Locate(tok, noNeedle));
    }

    [Fact]
    public void DistanceBinsDoubleFromHalfTheShortestLength()
    {
        var bins = DistanceBins.For(new[] { 2048, 512, 1024 }, maxDistance: 1500);
        Assert.Equal(new[] { (0, 256), (256, 512), (512, 1024), (1024, 2048) }, bins.Select(b => (b.Low, b.High)));
        Assert.Equal("256–511", bins[1].Label);
        Assert.Equal(bins[3], DistanceBins.Of(bins, 1500));
        Assert.Equal(bins[0], DistanceBins.Of(bins, 0));
        Assert.Single(DistanceBins.Doubling(100, 99));
        Assert.Equal(2, DistanceBins.Doubling(100, 100).Count);   // the last bin always holds the largest distance
    }

    static EvalResult Result(string model, int length, int index, bool right, int? distance = null, string answer = "123") =>
        new(model, EvalTask.Passkey, length, length, null, index, right ? 1 : 0, right ? answer : "9", answer, 0.1, distance);

    [Fact]
    public void PairsOnlyIdenticalSamples()
    {
        var teacher = new[] { Result("teacher", 512, 0, true), Result("teacher", 512, 1, true), Result("teacher", 512, 2, false), Result("teacher", 512, 3, true) };
        var student = new[] { Result("student", 512, 0, false), Result("student", 512, 1, true), Result("student", 512, 2, true), Result("student", 512, 3, false, answer: "456") };
        var test = PairedComparison.Compare("student", student, "teacher", teacher)!;
        Assert.Equal(3, test.Pairs);   // sample 3 has another answer: drawn from another seed, not paired
        Assert.Equal((1, 1), (test.Test.OnlyFirst, test.Test.OnlySecond));
        Assert.Null(PairedComparison.Compare("student", student, "teacher", Array.Empty<EvalResult>()));
        var partial = new[] { Result("student", 512, 0, true) with { Score = 0.5 } };
        Assert.Null(PairedComparison.Compare("student", partial, "teacher", teacher));
    }

    [Fact]
    public void TablesCarryIntervalsCountsAndPairedTests()
    {
        // Teacher right on all 20 at 512 and 1024; student right on 15 and on 5 of the same samples.
        var results = new List<EvalResult>();
        foreach (var length in new[] { 512, 1024 })
            for (int i = 0; i < 20; i++)
            {
                results.Add(Result("teacher", length, i, true, distance: i * length / 20));
                results.Add(Result("student", length, i, i < (length == 512 ? 15 : 5), distance: i * length / 20));
            }
        var rows = AccuracyTable.ByLength(results);
        Assert.Equal(new[] { "512", "1024" }, rows.Select(r => r.Group));
        var student1k = rows[1].Models.Single(m => m.Model == "student").Accuracy;
        Assert.Equal(new Proportion(5, 20), student1k);
        var test = rows[1].Tests.Single();
        Assert.Equal(("student", "teacher", 20, 0, 15), (test.Model, test.Reference, test.Pairs, test.Test.OnlyFirst, test.Test.OnlySecond));
        Assert.Equal(McNemarTest.ExactP(0, 15), test.Test.PValue);

        var text = AccuracyTable.ToText(rows, "length");
        Assert.Equal(new[] { "task", "length", "teacher % [95% CI]", "student % [95% CI]", "n", "p student vs teacher" }, text[0]);
        Assert.Equal(new[] { "passkey", "1024", "100.0 [83.9, 100.0]", "25.0 [11.2, 46.9]", "20", "6.1e-05 (exact, 0/15)" }, text[2]);

        var df = AccuracyTable.ToTable(rows, "length", numericGroup: true);
        Assert.Equal(1024, (int)df["length"][1]!);
        Assert.Equal(WilsonInterval.Of(5, 20).Low * 100, (double)df["student_low"][1]!, 1e-9);
        Assert.Equal(20, (int)df["student_n"][1]!);
        Assert.Equal("exact", (string)df["test_student_vs_teacher"][1]!);

        var byDistance = AccuracyTable.ByDistance(results);
        Assert.Equal(new[] { "0–255", "256–511", "512–1023" }, byDistance.Select(r => r.Group));
        Assert.Equal(results.Count / 2, byDistance.Sum(r => r.Models.Single(m => m.Model == "student").Accuracy.Trials));
        var json = AccuracyTable.ToJson(byDistance, "distance");
        Assert.Equal("teacher", (string)json[0]!["comparisons"]![0]!["reference"]!);
    }

    [Fact]
    public void SavedSummariesCarryIntervalsAndReloadTheResults()
    {
        var results = Enumerable.Range(0, 10).SelectMany(i => new[] { Result("teacher", 512, i, true, 100 + i), Result("student", 512, i, i % 2 == 0, 100 + i) }).ToList();
        var prefix = Path.Combine(TestPaths.NewTempDir(), "passkey");
        EvalReport.Save(results, prefix);
        var summary = File.ReadAllLines(prefix + "-summary.csv");
        Assert.StartsWith("\"task\",\"length\",\"teacher\",\"teacher_low\",\"teacher_high\",\"teacher_n\",\"student\"", summary[0]);
        Assert.StartsWith("\"passkey\",512,100,72.2", summary[1]);
        Assert.True(File.Exists(prefix + "-distance.csv"));
        Assert.True(File.Exists(prefix + "-summary.json"));
        Assert.Equal(results, EvalReport.Load(prefix + ".json"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(prefix)!, "*.tmp"));
    }
}
