using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// Rotary position embedding with HF's frequency rescalings (default, linear, llama3). The inverse frequencies
/// are computed with the same fp32 tensor operations as transformers so the tables match bit for bit.
/// </summary>
public sealed class RotaryEmbedding
{
    readonly float[] _invFreq;

    /// <summary>Inverse frequencies, one per pair of head dimensions.</summary>
    public IReadOnlyList<float> InverseFrequencies => _invFreq;

    /// <summary>Frequencies for <paramref name="config"/>'s head size, theta and rope scaling.</summary>
    public RotaryEmbedding(LlamaConfig config)
    {
        using var scope = NewDisposeScope();
        int dim = config.HeadDim;
        var exponent = TensorNumbers.Arange(0, (dim + 1) / 2).Times(2L).to(ScalarType.Float32).Over(dim);  // 0, 2, 4, … < dim, over dim
        var invFreq = pow(tensor((float)config.RopeTheta), exponent).Dividing(1.0);
        var s = config.RopeScaling;
        if (s.RopeType == "linear") invFreq = invFreq.Over((float)s.Factor);
        if (s.RopeType == "llama3") invFreq = Llama3(invFreq, s);
        _invFreq = invFreq.data<float>().ToArray();
    }

    static Tensor Llama3(Tensor invFreq, RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        using var low = lowWavelen.ToScalar();
        using var high = highWavelen.ToScalar();
        var wavelen = invFreq.Dividing(2 * Math.PI);
        var scaled = where(wavelen > low, invFreq.Over(s.Factor), invFreq);
        var smooth = wavelen.Dividing(s.OriginalMaxPositionEmbeddings).Minus(s.LowFreqFactor).Over(s.HighFreqFactor - s.LowFreqFactor);
        var smoothed = (smooth.SubtractedFrom(1) * scaled).Over(s.Factor).Plus(smooth * scaled);
        var isMedium = (wavelen < high).logical_not() & (wavelen > low).logical_not();
        return where(isMedium, smoothed, scaled);
    }

    /// <summary>cos and sin tables [B, T, D] for <paramref name="positionIds"/> [B, T], in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Forward(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var inv = tensor(_invFreq, device: positionIds.device);                       // [D/2]
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inv;          // [B, T, D/2]
        var emb = cat(new[] { freqs, freqs }, -1);                                   // [B, T, D]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> [B, H, T, D] by the tables [B, T, D].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var c = cos.unsqueeze(1);
        var s = sin.unsqueeze(1);
        long half = x.shape[^1] / 2;
        var rotated = cat(new[] { -x[.., .., .., (int)half..], x[.., .., .., ..(int)half] }, -1);
        return (x * c).Plus(rotated * s).MoveToOuterDisposeScope();
    }
}
