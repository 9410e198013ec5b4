using System.Globalization;
using Lawcat.Evaluation;
using Xunit.Abstractions;

namespace Lawcat.Tests.Evaluation;

/// <summary>
/// The shape of generated stories next to the real bAbI v1.2 data (evaluation notes §3.1.3): facts before a question,
/// repeated questions, how far back the farthest supporting fact lies, and the mix of sentences, over 1,000 stories per
/// task. The table is written to the test output (run with <c>--logger "console;verbosity=detailed"</c>); the
/// assertions hold the measures that the real data fixes to its ranges.
/// </summary>
[Trait("Category", "Evals")]
public class BabiStoryStatisticsTests(ITestOutputHelper output)
{
    const int Stories = 1000;

    /// <summary>Measures of one task's generated stories.</summary>
    sealed record Measures(
        int Questions, double MeanFacts, double MedianFacts, double P90Facts, int MaxFacts,
        double RepeatedShare, double RepeatedShareOfLater, double GapOfTwoShare,
        double MeanFarthestSupport, double MedianFarthestSupport, double P90FarthestSupport, int MaxFarthestSupport,
        double DroppedShare, double LatestPlaceShare, double MoveShare, double GetShare, double DropShare);

    static Measures Measure(BabiTask task)
    {
        var facts = new List<int>();
        var farthest = new List<int>();
        int repeated = 0, later = 0, gapsOfTwo = 0, dropped = 0, latestPlace = 0, moves = 0, gets = 0, drops = 0, sentences = 0;
        for (var i = 0; i < Stories; i++)
        {
            var (storyFacts, questions) = BabiStory.Write(task, SeededRandom.For(2026, i));
            for (var q = 0; q < questions.Count; q++)
            {
                var question = questions[q];
                facts.Add(question.FactCount);
                farthest.Add(question.FactCount - question.SupportingFacts.Min());
                if (question.AboutDroppedObject) dropped++;
                var gap = question.FactCount - (q == 0 ? 0 : questions[q - 1].FactCount);
                if (gap == 2) gapsOfTwo++;
                if (q > 0)
                {
                    later++;
                    if (question.Text == questions[q - 1].Text) repeated++;
                }
                if (task == BabiTask.Qa3 && AsksAboutLatestPlace(storyFacts, question)) latestPlace++;
            }
            foreach (var fact in storyFacts)
            {
                sentences++;
                if (BabiWorld.MoveVerbs.Any(v => fact.Contains($" {v} the "))) moves++;
                else if (BabiWorld.GetVerbs.Any(v => fact.Contains($" {v} the "))) gets++;
                else drops++;
            }
        }
        var n = facts.Count;
        return new Measures(n, facts.Average(), Quantile(facts, 0.5), Quantile(facts, 0.9), facts.Max(),
            repeated / (double)n, repeated / (double)later, gapsOfTwo / (double)n,
            farthest.Average(), Quantile(farthest, 0.5), Quantile(farthest, 0.9), farthest.Max(),
            dropped / (double)n, latestPlace / (double)n, moves / (double)sentences, gets / (double)sentences, drops / (double)sentences);
    }

    /// <summary>Whether a task-3 question's L is where the object is when asked.</summary>
    static bool AsksAboutLatestPlace(IReadOnlyList<string> facts, BabiStory.Question question)
    {
        var replay = BabiReplay.Of(facts.Take(question.FactCount));
        var words = question.Text.Split(' ');
        return replay.WhereIs(words[3]) == words[6].TrimEnd('?');
    }

    static double Quantile(List<int> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Floor(q * (sorted.Count - 1))];
    }

    [Fact]
    public void GeneratedStoriesHaveTheRealDatasShape()
    {
        var qa2 = Measure(BabiTask.Qa2);
        var qa3 = Measure(BabiTask.Qa3);
        Write("qa2", qa2, "mean 15.6, median 14, p90 26, max 68", "50% (63-67% of later)", "58%", "69%", "", "65/20/15");
        Write("qa3", qa3, "mean 50-52, median 42-44, p90 94-96, max 228", "33-34%", "45%", "79%", "~80%", "64/19/17");

        Assert.InRange(qa2.MeanFacts, 13.5, 17.5);
        Assert.InRange(qa3.MeanFacts, 45, 58);
        Assert.InRange(qa2.RepeatedShare, 0.45, 0.55);
        Assert.InRange(qa3.RepeatedShare, 0.28, 0.39);
        Assert.InRange(qa2.DroppedShare, 0.63, 0.75);
        Assert.InRange(qa3.DroppedShare, 0.74, 0.84);
        Assert.InRange(qa3.LatestPlaceShare, 0.70, 0.85);
    }

    void Write(string task, Measures m, string realFacts, string realRepeated, string realGap, string realDropped, string realLatest, string realMix)
    {
        string P(double x) => (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%";
        string F(double x) => x.ToString("F1", CultureInfo.InvariantCulture);
        output.WriteLine($"{task}: {Stories} stories, {m.Questions} questions (real bAbI v1.2 in brackets)");
        output.WriteLine($"  facts before a question: mean {F(m.MeanFacts)}, median {F(m.MedianFacts)}, p90 {F(m.P90Facts)}, max {m.MaxFacts} [{realFacts}]");
        output.WriteLine($"  same question as the previous one: {P(m.RepeatedShare)} of all, {P(m.RepeatedShareOfLater)} of later ones [{realRepeated}]");
        output.WriteLine($"  two facts since the previous question: {P(m.GapOfTwoShare)} [{realGap}]");
        output.WriteLine($"  farthest supporting fact, facts back from the question: mean {F(m.MeanFarthestSupport)}, median {F(m.MedianFarthestSupport)}, p90 {F(m.P90FarthestSupport)}, max {m.MaxFarthestSupport}");
        output.WriteLine($"  resting on a drop: {P(m.DroppedShare)} [{realDropped}]");
        if (realLatest != "") output.WriteLine($"  L is the object's latest place: {P(m.LatestPlaceShare)} [{realLatest}]");
        output.WriteLine($"  sentences move/get/drop: {P(m.MoveShare)} / {P(m.GetShare)} / {P(m.DropShare)} [{realMix}]");
    }
}
