using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// What a forward pass should record for inspection or training: attention maps, per-head outputs before
/// o_proj, hidden states, and (for attention transfer) student/teacher output pairs. Owns what it records.
/// </summary>
public sealed class AttentionCapture : IDisposable
{
    /// <summary>Record [B, H, Tq, Tk] attention weights per layer (forces the eager softmax path).</summary>
    public bool RecordWeights { get; init; }
    /// <summary>Record each layer's attention output before o_proj, [B, T, H*D].</summary>
    public bool RecordOutputs { get; init; }
    /// <summary>Record the embeddings, each layer's output and the final norm's output, [B, T, C].</summary>
    public bool RecordHiddenStates { get; init; }
    /// <summary>
    /// Record each layer's attention weights of the last query only, [B, H, Tk] fp32, cheap at any length: the softmax
    /// weights, or a LAWCAT layer's implied weights (student and attention-transfer modes, without a decoding cache).
    /// </summary>
    public bool RecordLastQueryWeights { get; init; }
    /// <summary>Record each LAWCAT layer's gate log-decays, [B, Hkv, T, K or 1] fp32 (student and attention-transfer modes, without a decoding cache).</summary>
    public bool RecordLogDecays { get; init; }

    /// <summary>Attention weights by layer: the softmax weights, or a LAWCAT layer's implied normalized weights.</summary>
    public Dictionary<int, Tensor> Weights { get; } = new();
    /// <summary>For LAWCAT layers: the softmax weights the teacher computes on the same layer input.</summary>
    public Dictionary<int, Tensor> TeacherWeights { get; } = new();
    /// <summary>Pre-o_proj outputs by layer.</summary>
    public Dictionary<int, Tensor> Outputs { get; } = new();
    /// <summary>Hidden states: "embeddings", "layer.{i}", "final_norm".</summary>
    public Dictionary<string, Tensor> HiddenStates { get; } = new();
    /// <summary>Attention transfer pairs by layer: student and teacher pre-o_proj outputs, [B, T, H*D].</summary>
    public Dictionary<int, (Tensor Student, Tensor Teacher)> TransferPairs { get; } = new();
    /// <summary>The last query's attention weights by layer, [B, H, Tk].</summary>
    public Dictionary<int, Tensor> LastQueryWeights { get; } = new();
    /// <summary>LAWCAT gate log-decays by layer, [B, Hkv, T, K or 1].</summary>
    public Dictionary<int, Tensor> LogDecays { get; } = new();

    /// <summary>Keeps <paramref name="t"/> alive past the dispose scopes of the forward pass.</summary>
    public static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in Weights.Values.Concat(TeacherWeights.Values).Concat(Outputs.Values).Concat(HiddenStates.Values)
            .Concat(LastQueryWeights.Values).Concat(LogDecays.Values)) t.Dispose();
        foreach (var (s, t) in TransferPairs.Values) { s.Dispose(); t.Dispose(); }
        Weights.Clear(); TeacherWeights.Clear(); Outputs.Clear(); HiddenStates.Clear(); TransferPairs.Clear(); LastQueryWeights.Clear(); LogDecays.Clear();
    }
}
