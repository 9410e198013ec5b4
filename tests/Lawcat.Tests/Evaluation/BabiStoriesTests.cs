using System.Text.RegularExpressions;
using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class BabiStoriesTests
{
    static List<BabiSample> Samples(BabiTask task, int count, int seed = 1) =>
        Enumerable.Range(0, count).Select(i => BabiStories.Sample(task, SeededRandom.For(seed, i))).ToList();

    [Fact]
    public void Qa2AnswersMatchAnIndependentReplayOfTheFacts()
    {
        foreach (var s in Samples(BabiTask.Qa2, 400))
        {
            var obj = Regex.Match(s.Question, "^Where is the (apple|football|milk)\\? $").Groups[1].Value;
            Assert.NotEqual("", obj);
            var replay = BabiReplay.Of(s.Facts);
            Assert.Equal(replay.WhereIs(obj), s.Answer);
            if (!s.AboutDroppedObject) Assert.True(replay.HeldAndCarried(obj), "a carried object's holder has moved since the pick-up");
            AssertSupport(s, obj, 2);
        }
    }

    [Fact]
    public void Qa3AnswersMatchAnIndependentReplayOfTheFacts()
    {
        foreach (var s in Samples(BabiTask.Qa3, 300))
        {
            var m = Regex.Match(s.Question, "^Where was the (apple|football|milk) before the (bedroom|kitchen|garden|hallway|bathroom|office)\\? $");
            Assert.True(m.Success, s.Question);
            Assert.Equal(BabiReplay.Of(s.Facts).WhereWasBefore(m.Groups[1].Value, m.Groups[2].Value), s.Answer);
            AssertSupport(s, m.Groups[1].Value, 3);
        }
    }

    /// <summary>The supporting facts: the object's drop or pick-up first, then moves; all before the question.</summary>
    static void AssertSupport(BabiSample s, string obj, int count)
    {
        Assert.Equal(count, s.SupportingFacts.Count);
        Assert.All(s.SupportingFacts, i => Assert.InRange(i, 0, s.Facts.Count - 1));
        Assert.Contains($" the {obj}", s.Facts[s.SupportingFacts[0]]);
        Assert.Equal(s.AboutDroppedObject, BabiWorld.DropVerbs.Any(v => s.Facts[s.SupportingFacts[0]].Contains($" {v} the {obj}")));
        Assert.All(s.SupportingFacts.Skip(1), i => Assert.Contains(BabiWorld.MoveVerbs, v => s.Facts[i].Contains($" {v} the ")));
    }

    [Theory]
    [InlineData(BabiTask.Qa2, 0.69), InlineData(BabiTask.Qa3, 0.79)]
    public void ShareOfQuestionsAboutDroppedObjectsIsTheRealDatas(BabiTask task, double real)
    {
        var share = Samples(task, 1500, seed: 2).Average(s => s.AboutDroppedObject ? 1.0 : 0.0);
        Assert.InRange(share, real - 0.05, real + 0.05);
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
}
