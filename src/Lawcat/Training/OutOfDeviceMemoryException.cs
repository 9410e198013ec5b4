using System.Globalization;
using System.Runtime.InteropServices;

namespace Lawcat.Training;

/// <summary>The sizes a training stage ran with, and the option keys that set them, for out-of-memory advice.</summary>
/// <param name="Stage">The stage's name, e.g. "stage 1: attention transfer".</param>
/// <param name="StageKey">Options key of the stage's optimization settings, e.g. <c>stage1</c> or <c>train</c>.</param>
/// <param name="BatchSize">Sequences per forward pass.</param>
/// <param name="GradientAccumulation">Forward passes per update.</param>
/// <param name="SequenceLength">Tokens per sequence.</param>
/// <param name="SequenceLengthKey">Options key of the sequence length, e.g. <c>data.sequence_length</c>.</param>
/// <param name="Device">The device, e.g. <c>cuda:0</c>.</param>
/// <param name="Dtype">The weights' dtype, e.g. <c>float32</c>.</param>
/// <param name="DtypeKey">Options key of the dtype, or null where the run has no choice of dtype.</param>
public sealed record TrainingSizes(string Stage, string StageKey, int BatchSize, int GradientAccumulation, int SequenceLength,
    string SequenceLengthKey, string Device, string Dtype, string? DtypeKey);

/// <summary>
/// The device ran out of memory during a training stage. The message names the sizes that were tried and the
/// option settings that need less memory; <see cref="Sizes"/> holds them for callers that report it otherwise.
/// </summary>
public sealed class OutOfDeviceMemoryException : LawcatException
{
    /// <summary>The sizes the stage ran with.</summary>
    public TrainingSizes Sizes { get; }

    /// <summary>Wraps the device's out-of-memory error <paramref name="inner"/> raised while <paramref name="sizes"/> ran.</summary>
    public OutOfDeviceMemoryException(TrainingSizes sizes, Exception inner) : base(Describe(sizes, inner.Message), inner) => Sizes = sizes;

    /// <summary>
    /// Whether <paramref name="e"/> is libtorch reporting that the device ran out of memory: CUDA says "out of memory",
    /// the CPU allocator "can't allocate memory".
    /// </summary>
    public static bool IsOutOfMemory(Exception e) => e is ExternalException &&
        (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase));

    /// <summary>The message: what ran out of memory at which sizes, the device's own first line, and smaller settings to try.</summary>
    public static string Describe(TrainingSizes s, string deviceMessage)
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        var tries = new List<string>();
        if (s.BatchSize > 1)
            tries.Add($"a smaller batch with the same sequences per update: --set {s.StageKey}.batch_size={I(s.BatchSize / 2)} " +
                $"--set {s.StageKey}.gradient_accumulation={I(s.GradientAccumulation * 2)}");
        if (s.SequenceLength / 2 >= 16) tries.Add($"shorter sequences: --set {s.SequenceLengthKey}={I(s.SequenceLength / 2)}");
        if (s.DtypeKey is not null && s.Dtype != "bfloat16") tries.Add($"bfloat16 weights and activations: --set {s.DtypeKey}=bfloat16");
        var advice = tries.Count == 0 ? "These are the smallest settings; use a device with more memory." : "Try " + string.Join("; or ", tries) + ".";
        return $"{s.Stage} ran out of memory on {s.Device} ({s.Dtype}) with {s.StageKey}.batch_size={I(s.BatchSize)}, " +
            $"{s.SequenceLengthKey}={I(s.SequenceLength)}, {s.StageKey}.gradient_accumulation={I(s.GradientAccumulation)}.\n" +
            $"The device said: {deviceMessage.Split('\n')[0].Trim()}\n{advice}";
    }
}
