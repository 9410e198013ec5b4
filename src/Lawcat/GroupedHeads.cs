using static TorchSharp.torch;

namespace Lawcat;

/// <summary>
/// Grouped-query attention's sharing of key/value heads, used by the softmax layers, the LAWCAT layers and the
/// linear-attention kernels alike, so it sits below all of them.
/// </summary>
public static class GroupedHeads
{
    /// <summary>Repeats each key/value head for its group of query heads: [B, Hkv, T, D] → [B, Hkv*g, T, D].</summary>
    public static Tensor RepeatKv(Tensor x, int groups)
    {
        if (groups == 1) return x.alias();
        var (b, h, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        return x.unsqueeze(2).expand(b, h, groups, t, d).reshape(b, h * groups, t, d);
    }
}
