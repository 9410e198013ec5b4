namespace Lawcat.Training;

/// <summary>Which evaluation's weights a stage keeps as its best checkpoint.</summary>
public enum CheckpointSelection
{
    /// <summary>The lowest held-out loss.</summary>
    EvalLoss,
    /// <summary>The highest reach (passkey accuracy past the training length on held-out samples); ties go to the lower held-out loss.</summary>
    Reach,
}

/// <summary>One periodic evaluation of a training stage.</summary>
/// <param name="Loss">Mean loss over the held-out chunks.</param>
/// <param name="Reach">Passkey accuracy past the training length on held-out samples (0..1), when measured.</param>
/// <param name="Parts">Further values to log with the evaluation (e.g. per-layer held-out MSE, accuracy per length).</param>
public sealed record EvalScore(double Loss, double? Reach = null, IReadOnlyDictionary<string, double>? Parts = null);
