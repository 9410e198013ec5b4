namespace Lawcat.Kernels;

/// <summary>Which form of the gated linear attention op runs prefill and training.</summary>
public enum GlaForm
{
    /// <summary>Chunked form (training and prefill).</summary>
    Chunked,
    /// <summary>Parallel form, materializing T×T weights (short inputs).</summary>
    Parallel,
    /// <summary>Token-by-token recurrence (the specification; slow).</summary>
    Recurrent,
}
