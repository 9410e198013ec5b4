using System.Diagnostics;
using Lawcat.Training;
using Spectre.Console;

namespace Lawcat.Cli;

/// <summary>
/// Progress of a long job. On a terminal: one status line, redrawn in place twice a second and fitted to the width
/// (<see cref="StatusLine.Fit"/>), with log messages and each finished phase printed above it. In a pipe or a log file:
/// plain lines without escape codes, at each phase's first unit, every <see cref="LogInterval"/> and at its end. The ETA
/// comes from <see cref="EtaEstimator"/> over the job's planned phases.
/// </summary>
sealed class ProgressView : IProgress<TrainingProgress>, IDisposable
{
    /// <summary>How often a pipe gets a status line during a phase.</summary>
    static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Erase the current terminal line and return to its start.</summary>
    const string ClearLine = "\r\x1b[2K";

    readonly object _lock = new();
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly EtaEstimator _eta;
    readonly TextWriter _out;
    readonly bool _live, _unicode;
    readonly Timer? _timer;
    readonly Dictionary<string, long> _samples = new();
    Status? _status;
    TimeSpan _phaseStart, _lastReport, _lastLine = TimeSpan.MinValue;
    double? _tokensPerSecond;
    string? _training;
    bool _drawn;

    ProgressView(IEnumerable<JobPhase> plan, TextWriter output, bool live, bool unicode)
    {
        (_eta, _out, _live, _unicode) = (new EtaEstimator(plan), output, live, unicode);
        if (_live) _timer = new Timer(_ => Redraw(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    /// <summary>
    /// A view of a job made of <paramref name="plan"/>'s phases on standard output: live when it is an interactive terminal
    /// that understands escape codes, plain lines otherwise.
    /// </summary>
    public static ProgressView Start(IEnumerable<JobPhase> plan)
    {
        var caps = AnsiConsole.Profile.Capabilities;
        return new ProgressView(plan, Console.Out, caps.Interactive && caps.Ansi && !Console.IsOutputRedirected, caps.Unicode);
    }

    /// <summary>A view writing plain lines to <paramref name="output"/> (tests, logs).</summary>
    public static ProgressView Lines(IEnumerable<JobPhase> plan, TextWriter output) => new(plan, output, live: false, unicode: false);

    /// <summary>Time since the view started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>A training update finished.</summary>
    public void Report(TrainingProgress p)
    {
        // A moving average: one update's throughput swings with the machine's load; a new stage starts afresh.
        _tokensPerSecond = _tokensPerSecond is double avg && p.Stage == _training ? 0.7 * avg + 0.3 * p.TokensPerSecond : p.TokensPerSecond;
        _training = p.Stage;
        Update(p.Stage, p.Step, p.TotalSteps, p.Loss, p.EvalLoss, _tokensPerSecond);
    }

    /// <summary>An evaluation sample of phase <paramref name="phase"/> finished.</summary>
    public void Sample(string phase)
    {
        long done = _samples[phase] = _samples.GetValueOrDefault(phase) + 1;
        Update(phase, done, _eta.Phases.FirstOrDefault(p => p.Matches(phase))?.Units ?? done, null, null, null);
    }

    /// <summary>Prints a message above the status line (or as a line of the log).</summary>
    public void Log(string message)
    {
        lock (_lock)
        {
            Erase();
            _out.WriteLine(message);
            Draw();
        }
    }

    void Update(string name, long done, long total, double? loss, double? heldOut, double? tokensPerSecond)
    {
        lock (_lock)
        {
            var now = _clock.Elapsed;
            int before = _eta.Current;
            var phase = _eta.Report(name, done, total, now.TotalSeconds);
            bool first = _eta.Current != before, last = done >= total;
            if (first) _phaseStart = _lastReport;   // a phase starts when the one before it reported last
            _lastReport = now;
            _status = new Status(phase.Key, name, done, total, phase.Unit, loss, heldOut, tokensPerSecond, now,
                Seconds(_eta.Remaining(now.TotalSeconds)), Seconds(_eta.PhaseRemaining(now.TotalSeconds)));
            if (last)
            {
                Erase();
                _out.WriteLine(StatusLine.Done(_status, now - _phaseStart));
                _status = Pending(now);
                Draw();
            }
            else if (_live) Draw();
            else if (first || now - _lastLine >= LogInterval)
            {
                _out.WriteLine(StatusLine.Log(_status));
                _lastLine = now;
            }
        }
    }

    /// <summary>The next planned phase with nothing done yet, shown until it reports (null after the last phase).</summary>
    Status? Pending(TimeSpan now)
    {
        var next = _eta.Phases.Skip(_eta.Current + 1).FirstOrDefault(p => p.Units > 0);
        return next is null ? null : new Status(next.Key, next.Key, 0, next.Units, next.Unit, null, null, null, now,
            Seconds(_eta.Remaining(now.TotalSeconds)), null);
    }

    void Redraw()
    {
        lock (_lock)
        {
            if (_status is null) return;
            var now = _clock.Elapsed;
            _status = _status with
            {
                Elapsed = now,
                Remaining = Seconds(_eta.Remaining(now.TotalSeconds)),
                PhaseRemaining = _status.Done == 0 ? null : Seconds(_eta.PhaseRemaining(now.TotalSeconds)),   // a pending phase has no measure yet
            };
            Draw();
        }
    }

    void Draw()
    {
        if (!_live || _status is null) return;
        _out.Write(ClearLine + StatusLine.Fit(_status, Terminal.Width(), _unicode));
        _out.Flush();
        _drawn = true;
    }

    void Erase()
    {
        if (!_drawn) return;
        _out.Write(ClearLine);
        _drawn = false;
    }

    static TimeSpan? Seconds(double? s) => s is double v ? TimeSpan.FromSeconds(v) : null;

    /// <summary>Stops redrawing and removes the status line.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        lock (_lock)
        {
            Erase();
            _status = null;
        }
    }
}
