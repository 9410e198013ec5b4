using System.Text.RegularExpressions;
using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

/// <summary>
/// Generated bAbI stories against bAbI's question rule and answer rules (evaluation notes §3.1.3b and §3.1.4), checked
/// by an independent reader of the facts (<see cref="BabiReplay"/>) on 3,000 questions per task.
/// </summary>
[Trait("Category", "Evals")]
public partial class BabiStoriesTests
{
    /// <summary>600 stories of 5 questions: 3,000 questions per task.</summary>
    const int StoriesChecked = 600;

    static IEnumerable<(IReadOnlyList<string> Facts, IReadOnlyList<BabiStory.Question> Questions)> Stories(BabiTask task, int count, int seed) =>
        Enumerable.Range(0, count).Select(i => BabiStory.Write(task, SeededRandom.For(seed, i)));

    static List<BabiSample> Samples(BabiTask task, int count, int seed = 1) =>
        Enumerable.Range(0, count).Select(i => BabiStories.Sample(task, SeededRandom.For(seed, i))).ToList();

    [Theory]
    [InlineData(BabiTask.Qa2), InlineData(BabiTask.Qa3)]
    public void QuestionsComeAtEvenCheckpointsIfAndOnlyIfAnObjectQualifiesAndFollowTheAnswerRules(BabiTask task)
    {
        var questions = 0;
        foreach (var (facts, asked) in Stories(task, StoriesChecked, seed: 1))
        {
            var replay = new BabiReplay();
            int next = 0, sinceQuestion = 0;
            foreach (var fact in facts)
            {
                replay.Read(fact);
                sinceQuestion++;
                var checkpoint = sinceQuestion >= 2 && sinceQuestion % 2 == 0;
                var qualifying = BabiWorld.Objects.Where(o => replay.Qualifies(task, o, within: 5)).ToList();
                var isAsked = next < asked.Count && asked[next].FactCount == replay.Count;
                Assert.True((checkpoint && qualifying.Count > 0) == isAsked,
                    $"after fact {replay.Count}: checkpoint {checkpoint}, qualifying [{string.Join(",", qualifying)}], asked {isAsked}");
                if (!isAsked) continue;
                AssertQuestion(task, replay, asked[next], qualifying);
                next++;
                sinceQuestion = 0;
                questions++;
            }
            Assert.Equal(BabiStory.QuestionsPerStory, next);
        }
        Assert.Equal(StoriesChecked * BabiStory.QuestionsPerStory, questions);
    }

    /// <summary>Invariants (a)-(d) of §3.1.3b and the answer rules of §3.1.4 for one question.</summary>
    static void AssertQuestion(BabiTask task, BabiReplay replay, BabiStory.Question q, List<string> qualifying)
    {
        var (obj, before) = Parse(task, q.Text);
        Assert.Contains(obj, qualifying);
        var carry = replay.CurrentCarry(obj)!;
        var handled = replay.LastHandled(obj)!.Value;
        Assert.InRange(replay.Count - handled, 1, 5);                        // (a) last pick-up/drop within 5 facts
        Assert.Equal(handled, q.SupportingFacts[0]);                          // (b) the supporting pick-up/drop is the latest
        Assert.Equal(carry.Drop != null, q.AboutDroppedObject);
        if (task == BabiTask.Qa2)
        {
            Assert.Equal(replay.WhereIs(obj), q.Answer);
            Assert.Equal(2, q.SupportingFacts.Length);
            if (carry.Drop != null) Assert.Equal(carry.DropperMove, q.SupportingFacts[1]);
            else
            {
                Assert.Equal(replay.LastMove(carry.Holder), q.SupportingFacts[1]);
                Assert.InRange(carry.Moves.Count, 1, 4);                       // (d) the holder moved 1-4 times since the pick-up
            }
            return;
        }
        Assert.Equal(replay.WhereWasBefore(obj, before!), q.Answer);
        Assert.Equal(3, q.SupportingFacts.Length);
        var (intoL, intoAnswer) = (q.SupportingFacts[1], q.SupportingFacts[2]);
        Assert.True(carry.PickUp < intoAnswer && intoAnswer < intoL, "(c) the move into the answer place comes after the pick-up, before the move into L");
        Assert.Contains((intoL, before!), carry.Moves);
        Assert.Contains((intoAnswer, q.Answer), carry.Moves);
    }

    static (string Object, string? Before) Parse(BabiTask task, string question)
    {
        var m = task == BabiTask.Qa2 ? WhereIsQuestion().Match(question) : WhereWasQuestion().Match(question);
        Assert.True(m.Success, question);
        return (m.Groups[1].Value, task == BabiTask.Qa3 ? m.Groups[2].Value : null);
    }

    [Theory]
    [InlineData(BabiTask.Qa2), InlineData(BabiTask.Qa3)]
    public void AmongTwoQualifyingObjectsEachIsAskedAboutHalfTheTime(BabiTask task)
    {
        int ties = 0, first = 0;
        foreach (var (facts, asked) in Stories(task, StoriesChecked, seed: 4))
        {
            var replay = new BabiReplay();
            var next = 0;
            foreach (var fact in facts)
            {
                replay.Read(fact);
                if (next == asked.Count || asked[next].FactCount != replay.Count) continue;
                var qualifying = BabiWorld.Objects.Where(o => replay.Qualifies(task, o, within: 5)).ToList();
                if (qualifying.Count == 2)
                {
                    ties++;
                    if (Parse(task, asked[next].Text).Object == qualifying[0]) first++;
                }
                next++;
            }
        }
        // Uniform choice: a binomial(ties, 1/2) count; four standard deviations leave room for chance only.
        Assert.True(ties >= 100, $"only {ties} questions with two qualifying objects");
        Assert.InRange(first, ties / 2.0 - 2 * Math.Sqrt(ties), ties / 2.0 + 2 * Math.Sqrt(ties));
    }

    [Theory]
    [InlineData(BabiTask.Qa2), InlineData(BabiTask.Qa3)]
    public void AnswersAreSpreadOverTheSixLocations(BabiTask task)
    {
        var counts = Samples(task, 900, seed: 3).GroupBy(s => s.Answer).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(BabiWorld.Locations.Order(), counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 100, 200));
    }

    [Fact]
    public void SameRandomStreamSameSample()
    {
        var a = BabiStories.Sample(BabiTask.Qa3, SeededRandom.For(5, 5));
        var b = BabiStories.Sample(BabiTask.Qa3, SeededRandom.For(5, 5));
        Assert.Equal(a.Facts, b.Facts);
        Assert.Equal((a.Question, a.Answer), (b.Question, b.Answer));
        Assert.NotEqual(a.Facts, BabiStories.Sample(BabiTask.Qa3, SeededRandom.For(5, 6)).Facts);
    }

    [GeneratedRegex("^Where is the (apple|football|milk)\\? $")]
    private static partial Regex WhereIsQuestion();

    [GeneratedRegex("^Where was the (apple|football|milk) before the (bedroom|kitchen|garden|hallway|bathroom|office)\\? $")]
    private static partial Regex WhereWasQuestion();
}
