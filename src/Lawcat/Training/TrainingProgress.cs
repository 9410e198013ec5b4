namespace Lawcat.Training;

/// <summary>A progress report after each optimizer update.</summary>
/// <param name="Stage">Short stage name ("stage 1: attention transfer", "pretrain").</param>
/// <param name="Step">Updates done.</param>
/// <param name="TotalSteps">Updates planned.</param>
/// <param name="Loss">Training loss of the last update.</param>
/// <param name="EvalLoss">Latest eval loss, if any.</param>
/// <param name="TokensPerSecond">Training throughput of the last update.</param>
/// <param name="Elapsed">Time in this stage so far (this process).</param>
/// <param name="Eta">Estimated time to the end of the stage.</param>
public sealed record TrainingProgress(string Stage, long Step, long TotalSteps, double Loss, double? EvalLoss, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Eta);

/// <summary>Raised when a loss or gradient stops being finite; the message names the step and the part (e.g. the layer).</summary>
public sealed class TrainingDivergedException(string message) : LawcatException(message);
