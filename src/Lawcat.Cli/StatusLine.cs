using System.Globalization;

namespace Lawcat.Cli;

/// <summary>
/// Renders a <see cref="Status"/> as text: one line that fits a terminal's width (fields left out by priority, the bar
/// taking what is left), a full line for logs, and the line that closes a phase.
/// </summary>
static class StatusLine
{
    /// <summary>Narrowest bar worth drawing.</summary>
    const int MinBar = 10;

    /// <summary>Widest bar; the rest of a wide line stays empty.</summary>
    const int MaxBar = 40;

    /// <summary>
    /// The status in at most <paramref name="width"/> − 1 characters (a line as wide as the terminal would wrap):
    /// phase and count always; then the job's ETA, a bar, loss, held-out loss, throughput, elapsed time and the
    /// phase's ETA as room allows. <paramref name="unicode"/> picks the bar's characters.
    /// </summary>
    public static string Fit(Status s, int width, bool unicode = true)
    {
        int room = Math.Max(width - 1, 1);
        var head = $"{s.Label} {s.Done}/{s.Total}";
        var eta = "ETA " + (s.Remaining is TimeSpan r ? Time(r) : "?");
        // In the order shown; each with its priority (lower = kept longer).
        var fields = new List<(string Text, int Priority)>();
        if (s.Loss is double loss) fields.Add(($"loss {Number(loss)}", 1));
        if (s.HeldOutLoss is double held) fields.Add(($"held-out {Number(held)}", 2));
        if (s.TokensPerSecond is double tps) fields.Add(($"{tps.ToString("N0", CultureInfo.InvariantCulture)} tok/s", 3));
        fields.Add(($"{Time(s.Elapsed)} elapsed", 4));
        if (s.PhaseRemaining is TimeSpan p && s.Remaining is TimeSpan all && all - p > TimeSpan.FromSeconds(1)) fields.Add(($"this {Noun(s)} {Time(p)}", 5));
        fields.Add((eta, 0));
        string Join(IEnumerable<string> parts) => string.Join("  ", parts);
        for (int keep = 5; keep >= 0; keep--)
        {
            var shown = fields.Where(f => f.Priority <= keep).Select(f => f.Text).ToList();
            int text = head.Length + 2 + Join(shown).Length;
            int bar = Math.Min(MaxBar, room - text - 2);
            if (bar >= MinBar) return Join(new[] { head, Bar(s.Done, s.Total, bar, unicode) }.Concat(shown));
            if (keep == 0 && text <= room) return Join(new[] { head }.Concat(shown));
        }
        var bare = head + "  " + eta;
        return bare.Length <= room ? bare : head.Length <= room ? head : head[..room];
    }

    /// <summary>The status as one log line with every field (for pipes and log files; no width limit, no bar).</summary>
    public static string Log(Status s)
    {
        var parts = new List<string> { $"{s.Name} {s.Done}/{s.Total} {s.Unit}" };
        if (s.Loss is double loss) parts.Add($"loss {Number(loss)}");
        if (s.HeldOutLoss is double held) parts.Add($"held-out {Number(held)}");
        if (s.TokensPerSecond is double tps) parts.Add($"{tps.ToString("N0", CultureInfo.InvariantCulture)} tok/s");
        parts.Add($"elapsed {Time(s.Elapsed)}");
        if (s.Remaining is TimeSpan r) parts.Add($"ETA {Time(r)}" + (s.PhaseRemaining is TimeSpan p && r - p > TimeSpan.FromSeconds(1) ? $" (this {Noun(s)} {Time(p)})" : ""));
        return string.Join("  ", parts);
    }

    /// <summary>The line left behind when a phase ends: what it did and how long it took.</summary>
    public static string Done(Status s, TimeSpan took)
    {
        var line = $"{s.Name}: {s.Total} {s.Unit} in {Time(took)}";
        var results = new List<string>();
        if (s.Loss is double loss) results.Add($"loss {Number(loss)}");
        if (s.HeldOutLoss is double held) results.Add($"held-out {Number(held)}");
        return results.Count == 0 ? line : $"{line} ({string.Join(", ", results)})";
    }

    /// <summary>A duration as m:ss under an hour, h:mm:ss above.</summary>
    public static string Time(TimeSpan t)
    {
        long seconds = (long)Math.Round(Math.Max(t.TotalSeconds, 0));
        return seconds < 3600 ? $"{seconds / 60}:{seconds % 60:00}" : $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}";
    }

    static string Noun(Status s) => s.Unit == "updates" ? "stage" : "part";

    static string Number(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    static string Bar(long done, long total, int width, bool unicode)
    {
        int filled = total <= 0 ? width : (int)Math.Round(width * Math.Clamp((double)done / total, 0, 1));
        return unicode ? new string('━', filled) + new string('─', width - filled) : new string('#', filled) + new string('-', width - filled);
    }
}
