using System.Runtime.InteropServices;
using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>One comparison of a kernel with its reference.</summary>
/// <param name="Case">What was compared.</param>
/// <param name="OutputError">Relative RMSE of the outputs.</param>
/// <param name="StateError">Relative RMSE of the final states.</param>
/// <param name="Tolerance">The bound they must stay under.</param>
/// <param name="Error">Why the case could not run (a kernel fault, a CUDA error), or null.</param>
public sealed record KernelCheckRow(string Case, double OutputError, double StateError, double Tolerance, string? Error = null)
{
    /// <summary>The case ran and both errors are within the tolerance.</summary>
    public bool Passed => Error is null && OutputError <= Tolerance && StateError <= Tolerance;
}

/// <summary>
/// Runs kernel check cases one after another with every launch checked (<see cref="CudaNative.CheckEachLaunch"/>): a case
/// that throws becomes a failed row carrying the message; after a fault that loses the CUDA context
/// (<see cref="KernelFaultException"/>, or a CUDA error from torch), no further case runs, since every later CUDA call
/// would fail too.
/// </summary>
public static class KernelCheck
{
    /// <summary>A named case producing one or more rows.</summary>
    public sealed record Case(string Name, Func<IEnumerable<KernelCheckRow>> Run);

    /// <summary>Runs <paramref name="cases"/> in order; see <see cref="KernelCheck"/>.</summary>
    public static List<KernelCheckRow> Run(IEnumerable<Case> cases)
    {
        using var checkEach = CudaNative.CheckEachLaunch();
        using var _ = no_grad();
        var rows = new List<KernelCheckRow>();
        foreach (var c in cases)
        {
            try
            {
                rows.AddRange(c.Run().ToList());
            }
            catch (Exception e) when (e is LawcatException or ExternalException)
            {
                rows.Add(new KernelCheckRow(c.Name, double.NaN, double.NaN, 0, e.Message.Split('\n')[0]));
                if (LosesContext(e)) break;
            }
        }
        return rows;
    }

    /// <summary>Whether <paramref name="e"/> leaves the CUDA context unusable.</summary>
    public static bool LosesContext(Exception e) => e is KernelFaultException || e is ExternalException && e.Message.Contains("CUDA error");

    /// <summary>Relative RMSE rms(x − reference) / rms(reference), in fp64.</summary>
    public static double Rmse(Tensor reference, Tensor x)
    {
        using var scope = NewDisposeScope();
        var r = reference.to(ScalarType.Float64);
        return (x.to(ScalarType.Float64) - r).pow(Scalars.Two).mean().sqrt().item<double>() / Math.Max(r.pow(Scalars.Two).mean().sqrt().item<double>(), 1e-30);
    }
}
