using System.Globalization;

namespace Lawcat.Statistics;

/// <summary>A closed interval [Low, High] of a rate (0..1).</summary>
/// <param name="Low">Lower bound.</param>
/// <param name="High">Upper bound.</param>
public readonly record struct Interval(double Low, double High)
{
    /// <summary>The bounds in percent with one decimal: <c>[18.1, 56.7]</c>.</summary>
    public string Percent() => string.Create(CultureInfo.InvariantCulture, $"[{Low * 100:F1}, {High * 100:F1}]");
}
