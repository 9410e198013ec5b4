namespace Lawcat.Training;

/// <summary>How the learning rate moves over a run.</summary>
public enum ScheduleKind
{
    /// <summary>Constant after warmup.</summary>
    Constant,
    /// <summary>Cosine decay to 10% after warmup.</summary>
    Cosine,
    /// <summary>Constant, divided by 10 when the eval loss has not improved for <c>patience</c> evaluations (LoLCATs' default).</summary>
    Plateau,
}

/// <summary>A learning-rate schedule with linear warmup; its state is two numbers, stored in checkpoints.</summary>
public sealed class LearningRateSchedule
{
    readonly ScheduleKind _kind;
    readonly double _baseLr;
    readonly long _warmup, _total;
    readonly int _patience;

    /// <summary>Current multiplier from plateau reductions (1, 0.1, 0.01, ...).</summary>
    public double PlateauFactor { get; private set; } = 1.0;
    /// <summary>Evaluations since the eval loss last improved.</summary>
    public int BadEvals { get; private set; }
    /// <summary>Best eval loss seen.</summary>
    public double BestEvalLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>A schedule of <paramref name="kind"/> over <paramref name="totalSteps"/> updates.</summary>
    public LearningRateSchedule(ScheduleKind kind, double baseLr, long warmupSteps, long totalSteps, int patience = 10)
        => (_kind, _baseLr, _warmup, _total, _patience) = (kind, baseLr, warmupSteps, Math.Max(1, totalSteps), patience);

    /// <summary>The learning rate for update number <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        double warm = _warmup > 0 && step < _warmup ? (step + 1.0) / _warmup : 1.0;
        double shape = _kind switch
        {
            ScheduleKind.Cosine => 0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, (double)Math.Max(0, step - _warmup) / Math.Max(1, _total - _warmup)))),
            ScheduleKind.Plateau => PlateauFactor,
            _ => 1.0,
        };
        return _baseLr * warm * shape;
    }

    /// <summary>Records an eval loss; returns true when it is the best so far.</summary>
    public bool ReportEval(double loss)
    {
        if (loss < BestEvalLoss)
        {
            BestEvalLoss = loss;
            BadEvals = 0;
            return true;
        }
        if (++BadEvals > _patience && _kind == ScheduleKind.Plateau)
        {
            PlateauFactor *= 0.1;
            BadEvals = 0;
        }
        return false;
    }

    /// <summary>Restores the state written in a checkpoint.</summary>
    public void Restore(double plateauFactor, int badEvals, double bestEvalLoss) => (PlateauFactor, BadEvals, BestEvalLoss) = (plateauFactor, badEvals, bestEvalLoss);
}
