namespace Lawcat.Cli;

/// <summary>What the progress display shows at one moment.</summary>
/// <param name="Label">Short name of the phase ("stage 1", "passkey teacher").</param>
/// <param name="Name">Full name of the phase ("stage 1: attention transfer").</param>
/// <param name="Done">Units done in the phase.</param>
/// <param name="Total">Units in the phase.</param>
/// <param name="Unit">The unit in the plural ("updates", "samples").</param>
/// <param name="Loss">Training loss of the last update (training phases).</param>
/// <param name="HeldOutLoss">Latest held-out loss (training phases, once measured).</param>
/// <param name="TokensPerSecond">Training throughput (training phases).</param>
/// <param name="Elapsed">Time since the job started.</param>
/// <param name="Remaining">Estimated time to the end of the job; null until measured.</param>
/// <param name="PhaseRemaining">Estimated time to the end of the phase; null until measured.</param>
sealed record Status(string Label, string Name, long Done, long Total, string Unit, double? Loss, double? HeldOutLoss,
    double? TokensPerSecond, TimeSpan Elapsed, TimeSpan? Remaining, TimeSpan? PhaseRemaining);
