using Lawcat.Training;

namespace Lawcat.Notebooks;

/// <summary>
/// Training progress as a line of text every <c>every</c> updates (and at each stage's last), written at once on the
/// calling thread (unlike <see cref="Progress{T}"/>, which posts later and can interleave with a cell's other output).
/// </summary>
public sealed class ConsoleProgress(int every = 10) : IProgress<TrainingProgress>
{
    /// <inheritdoc/>
    public void Report(TrainingProgress p)
    {
        if (p.Step % Math.Max(every, 1) != 0 && p.Step != p.TotalSteps) return;
        var eval = p.EvalLoss is double e ? $", eval {e:G4}" : "";
        Console.WriteLine($"{p.Stage}: {p.Step}/{p.TotalSteps} loss {p.Loss:G4}{eval}, {p.TokensPerSecond:N0} tok/s, eta {p.Eta:hh\\:mm\\:ss}");
    }
}
