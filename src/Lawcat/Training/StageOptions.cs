namespace Lawcat.Training;

/// <summary>Optimization settings of a training stage (pretraining, attention transfer, fine-tuning).</summary>
public record StageOptions
{
    /// <summary>Optimizer updates (0 skips the stage).</summary>
    public int Steps { get; init; }
    /// <summary>Sequences per forward pass.</summary>
    public int BatchSize { get; init; } = 1;
    /// <summary>Forward passes per update (effective batch = BatchSize × GradientAccumulation).</summary>
    public int GradientAccumulation { get; init; } = 8;
    /// <summary>Peak learning rate (AdamW).</summary>
    public double LearningRate { get; init; }
    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Plateau;
    /// <summary>Linear warmup updates.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Plateau schedule: evaluations without improvement before the rate is divided by 10.</summary>
    public int Patience { get; init; } = 10;
    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Evaluate on the held-out chunks every this many updates (and at the end).</summary>
    public int EvalEvery { get; init; } = 100;
    /// <summary>
    /// End the stage early once this many evaluations in a row have not improved the held-out loss (0 = run every
    /// update): with the plateau schedule, a stage runs until the loss has plateaued even at the reduced rates.
    /// </summary>
    public int EarlyStopPatience { get; init; }
}
