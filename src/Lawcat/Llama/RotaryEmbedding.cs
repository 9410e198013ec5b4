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
        var exponent = arange(0, dim, 2, ScalarType.Int64).to(ScalarType.Float32) / dim;
        var invFreq = 1.0f / pow(tensor((float)config.RopeTheta), exponent);
        var s = config.RopeScaling;
        if (s.RopeType == "linear") invFreq = invFreq / (float)s.Factor;
        if (s.RopeType == "llama3") invFreq = Llama3(invFreq, s);
        _invFreq = invFreq.data<float>().ToArray();
    }

    static Tensor Llama3(Tensor invFreq, RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        var wavelen = 2 * Math.PI / invFreq;
        var scaled = where(wavelen > lowWavelen, invFreq / s.Factor, invFreq);
        var smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        var smoothed = (1 - smooth) * scaled / s.Factor + smooth * scaled;
        var isMedium = (wavelen < highWavelen).logical_not() & (wavelen > lowWavelen).logical_not();
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
        return (x * c + rotated * s).MoveToOuterDisposeScope();
    }
}
