using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

public static class SampleAssert
{
    /// <summary>Two samples are equal field by field (the record's own equality compares lists by reference).</summary>
    public static void Same(EvalSample expected, EvalSample actual)
    {
        Assert.Equal(expected.Prompt, actual.Prompt);
        Assert.Equal(expected.Answers, actual.Answers);
        Assert.Equal((expected.Task, expected.Seed, expected.Index), (actual.Task, actual.Seed, actual.Index));
        Assert.Equal((expected.TargetLength, expected.ActualLength, expected.Depth), (actual.TargetLength, actual.ActualLength, actual.Depth));
        Assert.Equal(expected.Metadata.OrderBy(kv => kv.Key), actual.Metadata.OrderBy(kv => kv.Key));
    }
}
