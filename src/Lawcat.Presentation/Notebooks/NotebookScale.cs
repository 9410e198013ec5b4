namespace Lawcat.Notebooks;

/// <summary>
/// How big a notebook's experiment is. Unset, notebooks run the real experiment; with
/// <c>LAWCAT_NOTEBOOK_SCALE=ci</c> (what the test suite sets) they shrink steps, samples and lengths so that every
/// notebook runs in well under a minute on a 2-core CPU while still executing every cell.
/// </summary>
public static class NotebookScale
{
    /// <summary>The environment variable that selects the scale.</summary>
    public const string Variable = "LAWCAT_NOTEBOOK_SCALE";

    /// <summary>True when <see cref="Variable"/> is <c>ci</c>.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable(Variable), "ci", StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="real"/> normally, <paramref name="ci"/> at CI scale.</summary>
    public static T Pick<T>(T real, T ci) => IsCi ? ci : real;

    /// <summary>One line saying which scale is running, for the notebook's output.</summary>
    public static string Describe() => IsCi
        ? $"{Variable}=ci: CI scale (a few updates and samples; numbers are smoke-test values, not results)"
        : $"full scale ({Variable} unset): the real experiment";
}
