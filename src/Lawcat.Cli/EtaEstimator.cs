namespace Lawcat.Cli;

/// <summary>
/// Time left in a job of planned phases: the current phase's remaining tokens at its measured rate (seconds per token
/// since its first unit, so one slow unit moves it by little), plus the phases still to come at that same rate.
/// Between reports the estimate counts down for as long as the next unit is expected to take, then holds: a slow unit
/// does not drive it to zero, and the next report corrects it.
/// </summary>
sealed class EtaEstimator
{
    readonly List<JobPhase> _phases;
    double _phaseStart, _firstAt, _firstWork, _lastAt, _lastWork;
    int _reports;
    double? _rate, _estimate, _phaseEstimate;
    double _nextUnit, _nextPhaseUnit;

    /// <summary>An estimator for <paramref name="plan"/>, the job's phases in the order they run, at time 0.</summary>
    public EtaEstimator(IEnumerable<JobPhase> plan) => _phases = plan.ToList();

    /// <summary>The phases: the plan, and phases that reported without being planned.</summary>
    public IReadOnlyList<JobPhase> Phases => _phases;

    /// <summary>Index of the phase that reported last; −1 before the first report.</summary>
    public int Current { get; private set; } = -1;

    /// <summary>Units done in the current phase.</summary>
    public long Done { get; private set; }

    /// <summary>Measured seconds per token of the current phase (null before its first report).</summary>
    public double? SecondsPerToken => _rate;

    /// <summary>
    /// Records that phase <paramref name="name"/> has <paramref name="done"/> of its units done at <paramref name="now"/>
    /// (seconds since the job started). A name no phase matches becomes a new phase of <paramref name="total"/> units
    /// of one token each. Returns the phase.
    /// </summary>
    public JobPhase Report(string name, long done, long total, double now)
    {
        int index = _phases.FindIndex(p => p.Matches(name));
        if (index < 0)
        {
            _phases.Insert(Current + 1, new JobPhase(name, "updates", Enumerable.Repeat(1.0, (int)Math.Max(total, done)).ToArray()));
            index = Current + 1;
        }
        var phase = _phases[index];
        if (index != Current) StartPhase(index);
        Measure(phase, done, now);
        Done = done;
        return phase;
    }

    void StartPhase(int index)
    {
        _phaseStart = Current >= 0 ? _lastAt : 0;   // a phase starts when the one before it reported last
        Current = index;
        _reports = 0;
    }

    void Measure(JobPhase phase, long done, double now)
    {
        double work = phase.WorkThrough(done);
        if (_reports == 0)
        {
            (_firstAt, _firstWork) = (now, work);
            double unit = work - phase.WorkThrough(done - 1);   // the first report in a phase follows one unit of this process's work
            _rate = unit > 0 ? (now - _phaseStart) / unit : null;
        }
        else if (work > _firstWork) _rate = (now - _firstAt) / (work - _firstWork);
        (_lastAt, _lastWork) = (now, work);
        _reports++;
        if (_rate is not double rate) return;
        double phaseLeft = rate * (phase.WorkThrough(phase.Units) - work);
        double later = _phases.Skip(Current + 1).Sum(p => p.WorkThrough(p.Units)) * rate;
        _phaseEstimate = phaseLeft;
        _estimate = phaseLeft + later;
        _nextUnit = done < phase.Units ? rate * phase.Work[(int)done] : 0;
        var next = _phases.Skip(Current + 1).FirstOrDefault(p => p.Units > 0);
        _nextPhaseUnit = done < phase.Units ? _nextUnit : next is null ? 0 : rate * next.Work[0];
    }

    /// <summary>Seconds left in the whole job at <paramref name="now"/>, or null before anything was measured.</summary>
    public double? Remaining(double now) =>
        _estimate is double e ? Math.Max(0, e - Math.Min(now - _lastAt, _nextPhaseUnit)) : null;

    /// <summary>Seconds left in the current phase at <paramref name="now"/>, or null before anything was measured.</summary>
    public double? PhaseRemaining(double now) =>
        _phaseEstimate is double e ? Math.Max(0, e - Math.Min(now - _lastAt, _nextUnit)) : null;
}
