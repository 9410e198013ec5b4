namespace Lawcat.Evaluation;

/// <summary>Draws bAbI task 2 and 3 samples the way BABILong takes them from the real data.</summary>
public static class BabiStories
{
    /// <summary>
    /// One sample: a new five-question story, of which one question is taken uniformly with every fact before it
    /// (BABILong splits each story into its five questions and samples among all of them).
    /// </summary>
    public static BabiSample Sample(BabiTask task, SeededRandom rng)
    {
        var (facts, questions) = BabiStory.Write(task, rng);
        var q = questions[rng.Next(questions.Count)];
        return new BabiSample(task, facts.Take(q.FactCount).ToArray(), q.Text, q.Answer, q.SupportingFacts, q.AboutDroppedObject);
    }
}
