using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>Llama's grouped-query softmax attention with RoPE and a KV cache (HF LlamaAttention).</summary>
public sealed class SoftmaxAttention : DecoderAttention
{
    readonly int _heads, _kvHeads, _headDim;

    /// <summary>Fresh projections for layer <paramref name="layerIndex"/> of <paramref name="config"/>.</summary>
    public SoftmaxAttention(LlamaConfig config, int layerIndex, Device? device, ScalarType? dtype)
        : base(nameof(SoftmaxAttention), layerIndex, NewProjections(config, device, dtype))
    {
        (_heads, _kvHeads, _headDim) = (config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim);
        RegisterComponents();
    }

    static AttentionProjections NewProjections(LlamaConfig c, Device? device, ScalarType? dtype)
    {
        long q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim;
        return new AttentionProjections(nn.Linear(c.HiddenSize, q, c.AttentionBias, device, dtype), nn.Linear(c.HiddenSize, kv, c.AttentionBias, device, dtype),
            nn.Linear(c.HiddenSize, kv, c.AttentionBias, device, dtype), nn.Linear(q, c.HiddenSize, c.AttentionBias, device, dtype));
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);     // [B, H, T, D]
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);   // [B, Hkv, T, D]
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);   // [B, Hkv, T, D]
        q = RotaryEmbedding.Apply(q, ctx.Cos, ctx.Sin);
        k = RotaryEmbedding.Apply(k, ctx.Cos, ctx.Sin);
        if (ctx.Cache is not null) (k, v) = ctx.Cache.GetOrCreate(LayerIndex, () => new KvCache()).Append(k, v);
        var y = Attend(q, k, v, ctx);                                                // [B, T, H*D]
        if (ctx.Capture?.RecordOutputs == true) ctx.Capture.Outputs[LayerIndex] = AttentionCapture.Keep(y.detach().clone());
        if (ctx.Capture?.RecordLastQueryWeights == true) ctx.Capture.LastQueryWeights[LayerIndex] = AttentionCapture.Keep(LastQueryWeights(q, k, ctx));
        return o_proj.forward(y).MoveToOuterDisposeScope();
    }

    /// <summary>The softmax weights [B, H, Tk] (fp32) of the last of the rotated queries q [B, H, Tq, D] over the keys k [B, Hkv, Tk, D].</summary>
    Tensor LastQueryWeights(Tensor q, Tensor k, AttentionContext ctx)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var scale = (1.0 / Math.Sqrt(_headDim)).ToScalar();
        var kr = GroupedHeads.RepeatKv(k, _heads / _kvHeads);                       // [B, H, Tk, D]
        var scores = matmul(q[.., .., ^1..], kr.transpose(2, 3)) * scale;           // [B, H, 1, Tk]
        var mask = CausalSoftmax.BuildMask(ctx.KeyMask, 1, kr.shape[2], kr.shape[2] - 1, q.dtype, q.device);
        if (mask is not null) scores = scores.Plus(mask);
        return scores.softmax(-1, ScalarType.Float32).squeeze(2).MoveToOuterDisposeScope();
    }

    /// <summary>Causal softmax over rotated q [B, H, Tq, D] and k, v [B, Hkv, Tk, D]; returns [B, Tq, H*D].</summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (q.shape[0], q.shape[2]);
        int groups = _heads / _kvHeads;
        bool weights = ctx.Capture?.RecordWeights == true;
        if (t == 1 && !weights)
        {
            var stepMask = CausalSoftmax.BuildMask(ctx.KeyMask, 1, k.shape[2], ctx.PastLength, q.dtype, q.device);
            return CausalSoftmax.DecodeStep(q, k, v, stepMask).transpose(1, 2).reshape(b, 1, _heads * _headDim).MoveToOuterDisposeScope();
        }
        var kr = GroupedHeads.RepeatKv(k, groups);
        var vr = GroupedHeads.RepeatKv(v, groups);
        var mask = CausalSoftmax.BuildMask(ctx.KeyMask, t, kr.shape[2], ctx.PastLength, q.dtype, q.device);
        Tensor y;
        if (weights)
        {
            (y, var w) = CausalSoftmax.Eager(q, kr, vr, mask);
            ctx.Capture!.Weights[LayerIndex] = AttentionCapture.Keep(w.detach());
        }
        else y = CausalSoftmax.Fast(q, kr, vr, mask);
        return y.transpose(1, 2).reshape(b, t, _heads * _headDim).MoveToOuterDisposeScope();  // [B, T, H*D]
    }
}
