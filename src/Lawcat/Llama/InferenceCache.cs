using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>The decoding state one attention layer keeps between calls (a KV cache, a recurrent state, ...).</summary>
public interface ILayerState : IDisposable
{
    /// <summary>Bytes of tensor memory this state holds.</summary>
    long Bytes { get; }
}

/// <summary>
/// Per-layer decoding states of a model plus the padding mask of every token seen so far, so a prompt can be
/// prefilled and then continued token by token.
/// </summary>
public sealed class InferenceCache : IDisposable
{
    readonly ILayerState?[] _layers;

    /// <summary>An empty cache for a model with <paramref name="numLayers"/> layers.</summary>
    public InferenceCache(int numLayers) => _layers = new ILayerState?[numLayers];

    /// <summary>Number of positions already consumed.</summary>
    public long SeenTokens { get; private set; }

    /// <summary>[B, SeenTokens] bool, true for real tokens; null while nothing is padded.</summary>
    public Tensor? KeyMask { get; private set; }

    /// <summary>The state of layer <paramref name="layer"/>, created by <paramref name="create"/> on first use.</summary>
    public T GetOrCreate<T>(int layer, Func<T> create) where T : class, ILayerState
    {
        if (_layers[layer] is T t) return t;
        _layers[layer]?.Dispose();
        var s = create();
        _layers[layer] = s;
        return s;
    }

    /// <summary>The state of layer <paramref name="layer"/>, if any.</summary>
    public ILayerState? this[int layer] => _layers[layer];

    /// <summary>Records that <paramref name="count"/> more positions were consumed, with their padding mask.</summary>
    public void Advance(long count, Tensor? fullKeyMask)
    {
        SeenTokens += count;
        if (fullKeyMask is null) return;
        KeyMask?.Dispose();
        KeyMask = fullKeyMask.detach().DetachFromDisposeScope();
    }

    /// <summary>Bytes held by all layer states.</summary>
    public long Bytes => _layers.Sum(l => l?.Bytes ?? 0);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var l in _layers) l?.Dispose();
        KeyMask?.Dispose();
    }
}

/// <summary>Keys and values of every position so far, for softmax attention; grows by doubling.</summary>
public sealed class KvCache : ILayerState
{
    Tensor? _k, _v;

    /// <summary>Number of cached positions.</summary>
    public long Length { get; private set; }

    /// <summary>Appends k, v [B, Hkv, T, D] and returns views of all cached keys and values [B, Hkv, Length, D].</summary>
    public (Tensor K, Tensor V) Append(Tensor k, Tensor v)
    {
        long t = k.shape[2], need = Length + t;
        if (_k is null || need > _k.shape[2])
        {
            long cap = Math.Max(need, Math.Max(256, (_k?.shape[2] ?? 0) * 2));
            _k = Grow(_k, k, cap);
            _v = Grow(_v, v, cap);
        }
        using (no_grad())
        {
            _k[.., .., (int)Length..(int)need].copy_(k);
            _v![.., .., (int)Length..(int)need].copy_(v);
        }
        Length = need;
        return (_k[.., .., ..(int)Length], _v[.., .., ..(int)Length]);
    }

    /// <summary>Forgets every position after the first <paramref name="length"/> (the buffers are kept).</summary>
    public void Truncate(long length) => Length = Math.Min(Length, length);

    Tensor Grow(Tensor? old, Tensor like, long cap)
    {
        var fresh = zeros(new[] { like.shape[0], like.shape[1], cap, like.shape[3] }, like.dtype, like.device).DetachFromDisposeScope();
        if (old is not null)
        {
            using (no_grad()) fresh[.., .., ..(int)Length].copy_(old[.., .., ..(int)Length]);
            old.Dispose();
        }
        return fresh;
    }

    /// <inheritdoc/>
    public long Bytes => 2 * (_k is null ? 0 : _k.NumberOfElements * _k.ElementSize);

    /// <inheritdoc/>
    public void Dispose()
    {
        _k?.Dispose();
        _v?.Dispose();
    }
}
