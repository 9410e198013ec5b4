using Lawcat.Cli;
using Lawcat.Cli.Commands;
using Lawcat.Tokenization;
using Lawcat.Training;

namespace Lawcat.Tests.Cli;

/// <summary>The progress display: lines that fit the terminal, an ETA from measured rates, plain text in pipes.</summary>
[Trait("Category", "Cli")]
public class ProgressViewTests
{
    static Status Training(TimeSpan? remaining = null) => new("stage 1", "stage 1: attention transfer", 300, 600, "updates", 88.3241, 91.78,
        1461, TimeSpan.FromSeconds(57), remaining ?? TimeSpan.FromSeconds(133), TimeSpan.FromSeconds(41));

    [Theory]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(120)]
    [InlineData(200)]
    public void AStatusLineFitsItsWidthAndKeepsTheImportantFields(int width)
    {
        var line = StatusLine.Fit(Training(), width);
        Assert.True(line.Length < width, $"{line.Length} characters at width {width}: {line}");
        Assert.StartsWith("stage 1 300/600", line);
        Assert.EndsWith("ETA 2:13", line);
        Assert.DoesNotContain('\x1b', line);
        if (width >= 80)
        {
            Assert.Contains("━", line);
            Assert.Contains("loss 88.32", line);
            Assert.Contains("held-out 91.78", line);
        }
        if (width >= 120) Assert.Contains("1,461 tok/s", line);
        if (width >= 200) Assert.Contains("this stage 0:41", line);
    }

    [Fact]
    public void NarrowTerminalsAndLongTimesStillGetOneLine()
    {
        Assert.True(StatusLine.Fit(Training(), 12).Length < 12);
        Assert.Equal("1:02:03", StatusLine.Time(TimeSpan.FromSeconds(3723)));
        Assert.Equal("0:07", StatusLine.Time(TimeSpan.FromSeconds(7.4)));
        Assert.Contains("ETA ?", StatusLine.Fit(Training() with { Remaining = null }, 80));
        var log = StatusLine.Log(Training());
        Assert.Equal("stage 1: attention transfer 300/600 updates  loss 88.32  held-out 91.78  1,461 tok/s  elapsed 0:57  ETA 2:13 (this stage 0:41)", log);
    }

    static EtaEstimator Plan() => new(new[]
    {
        JobPhase.Training("stage 1", 10, 100),
        JobPhase.Training("stage 2", 5, 200),
        JobPhase.Evaluation("passkey student", new[] { 372, 372 }),   // 500 tokens each with the per-sample overhead
    });

    [Fact]
    public void TheEtaIsTheMeasuredRateTimesTheWorkLeftInThisAndLaterPhases()
    {
        var eta = Plan();
        Assert.Null(eta.Remaining(0));
        eta.Report("stage 1: attention transfer", 1, 10, 5.0);   // the first update also paid for loading: 5 s for 100 tokens
        Assert.Equal(0.05, eta.SecondsPerToken!.Value, 9);
        eta.Report("stage 1: attention transfer", 2, 10, 6.0);   // then 1 s per update: 0.01 s per token from here on
        Assert.Equal(0.01, eta.SecondsPerToken!.Value, 9);
        // 8 updates of stage 1 (800 tokens), stage 2 (1,000) and the evaluation (1,000) at 0.01 s per token.
        Assert.Equal(28.0, eta.Remaining(6.0)!.Value, 6);
        Assert.Equal(8.0, eta.PhaseRemaining(6.0)!.Value, 6);
        // Between reports it counts down for as long as the next update should take (1 s), then holds.
        Assert.Equal(27.5, eta.Remaining(6.5)!.Value, 6);
        Assert.Equal(27.0, eta.Remaining(30.0)!.Value, 6);
        // A slow update (10 s) moves the stage's mean rate, not the whole estimate to zero and back.
        eta.Report("stage 1: attention transfer", 3, 10, 16.0);
        Assert.Equal(0.055, eta.SecondsPerToken!.Value, 9);
        Assert.Equal(0.055 * 2700, eta.Remaining(16.0)!.Value, 6);
    }

    [Fact]
    public void LaterPhasesUseTheirOwnRateOnceTheyStartAndSkippedPhasesCountForNothing()
    {
        var eta = Plan();
        eta.Report("stage 2: fine-tuning", 4, 5, 2.0);   // resumed in stage 2: stage 1 never reports
        Assert.Equal(1, eta.Current);
        Assert.Equal(2.0 / 200, eta.SecondsPerToken!.Value, 9);
        Assert.Equal(0.01 * (200 + 1000), eta.Remaining(2.0)!.Value, 6);
        eta.Report("stage 2: fine-tuning", 5, 5, 4.0);
        eta.Report("passkey student", 1, 2, 9.0);   // the evaluation's first sample: 5 s for 500 tokens
        Assert.Equal(2, eta.Current);
        Assert.Equal(5.0, eta.Remaining(9.0)!.Value, 6);
        eta.Report("passkey student", 2, 2, 14.0);
        Assert.Equal(0.0, eta.Remaining(14.0)!.Value, 6);
    }

    [Fact]
    public void APhaseThatWasNotPlannedIsTimedOnItsOwn()
    {
        var eta = new EtaEstimator(Array.Empty<JobPhase>());
        eta.Report("pretrain", 1, 100, 2.0);
        eta.Report("pretrain", 2, 100, 3.0);
        Assert.Equal(98.0, eta.Remaining(3.0)!.Value, 6);
    }

    [Fact]
    public void InAPipeTheViewWritesPlainLinesWithTheEtaAndEachFinishedPhase()
    {
        var output = new StringWriter();
        using (var view = ProgressView.Lines(new[] { JobPhase.Training("stage 1", 2, 100), JobPhase.Evaluation("passkey teacher", new[] { 100 }) }, output))
        {
            view.Log("teacher: tiny");
            view.Report(new TrainingProgress("stage 1: attention transfer", 1, 2, 9.5, null, 1000, TimeSpan.FromSeconds(1), TimeSpan.Zero));
            view.Report(new TrainingProgress("stage 1: attention transfer", 2, 2, 8.25, 8.5, 1000, TimeSpan.FromSeconds(2), TimeSpan.Zero));
            view.Sample("passkey teacher");
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\x1b', output.ToString());
        Assert.DoesNotContain('\r', output.ToString().Replace("\r\n", "\n"));
        Assert.Equal("teacher: tiny", lines[0].TrimEnd());
        Assert.StartsWith("stage 1: attention transfer 1/2 updates  loss 9.5  1,000 tok/s  elapsed ", lines[1]);
        Assert.Contains("ETA ", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("stage 1: attention transfer: 2 updates in ") && l.TrimEnd().EndsWith("(loss 8.25, held-out 8.5)"));
        Assert.Contains(lines, l => l.StartsWith("passkey teacher: 1 samples in "));
    }

    [Fact]
    public void GenerateKnowsWhenTokensAreBytes()
    {
        Assert.True(GenerateCommand.TokensAreBytes(BpeTokenizer.FromModelFolder(DataFiles.TinyTeacher())));
        Assert.False(GenerateCommand.TokensAreBytes(BpeTokenizer.FromModelFolder(TokenizerFiles.Llama3Folder)));
        Assert.Equal("3.28 million", Lawcat.Cli.Cli.Count(3_280_384));
        Assert.Equal("1.24 billion", Lawcat.Cli.Cli.Count(1_235_814_400));
        Assert.Equal("66.0 thousand", Lawcat.Cli.Cli.Count(66_048));
        Assert.Equal("512", Lawcat.Cli.Cli.Count(512));
    }
}
