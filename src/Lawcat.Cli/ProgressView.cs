using System.Diagnostics;
using Lawcat.Training;
using Spectre.Console;

namespace Lawcat.Cli;

/// <summary>
/// Progress of long work: Spectre progress bars on a terminal (stage, step, loss, tokens/s, ETA), one log line every few
/// seconds when the output is redirected (logs, CI).
/// </summary>
static class ProgressView
{
    /// <summary>Runs <paramref name="work"/> with a progress sink for training and a counter sink for other steps.</summary>
    public static T Run<T>(Func<IProgress<TrainingProgress>, Action<string, int, int>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return work(new LineProgress(), LineCount());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask Task(string name, double max)
                {
                    if (!tasks.TryGetValue(name, out var t)) tasks[name] = t = ctx.AddTask(Markup.Escape(name), maxValue: max);
                    return t;
                }
                var training = new Progress(p =>
                {
                    var t = Task(p.Stage, p.TotalSteps);
                    t.Value = p.Step;
                    var eval = p.EvalLoss is double e ? $", eval {e:G4}" : "";
                    t.Description = Markup.Escape($"{p.Stage}: {p.Step}/{p.TotalSteps} loss {p.Loss:G4}{eval}, {p.TokensPerSecond:N0} tok/s");
                });
                result = work(training, (name, done, total) =>
                {
                    var t = Task(name, total);
                    t.Value = done;
                    t.Description = Markup.Escape($"{name}: {done}/{total}");
                });
            });
        return result;
    }

    sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    sealed class LineProgress : IProgress<TrainingProgress>
    {
        readonly Stopwatch _last = Stopwatch.StartNew();
        public void Report(TrainingProgress p)
        {
            if (_last.Elapsed.TotalSeconds < 5 && p.Step != p.TotalSteps && p.Step != 1) return;
            _last.Restart();
            var eval = p.EvalLoss is double e ? $" eval {e:G4}" : "";
            Console.WriteLine($"{p.Stage} {p.Step}/{p.TotalSteps} loss {p.Loss:G4}{eval} {p.TokensPerSecond:N0} tok/s elapsed {p.Elapsed:hh\\:mm\\:ss} eta {p.Eta:hh\\:mm\\:ss}");
        }
    }

    static Action<string, int, int> LineCount()
    {
        var last = Stopwatch.StartNew();
        return (name, done, total) =>
        {
            if (last.Elapsed.TotalSeconds < 5 && done != total) return;
            last.Restart();
            Console.WriteLine($"{name} {done}/{total}");
        };
    }
}
