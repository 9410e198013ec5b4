using Lawcat.Attention;
using Lawcat.Data;
using Lawcat.Llama;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>
/// Turns a stage's training batches into inputs whose chosen rows start from a non-zero recurrent state
/// (<see cref="StateCoverageOptions"/>; docs/lawcat.md §2.3). Carried over: the last tokens of another training chunk
/// go before the row, LAWCAT layers run them without gradients and continue from their state, and the loss counts the
/// row only; rows not chosen get an all-padding prefix, which leaves their state at zero. Noise: the chosen rows start
/// from <see cref="StateNoise"/>. Which rows, which earlier chunk and which noise depend only on the rows' global
/// indices, so a resumed run sees exactly what an uninterrupted one would.
/// </summary>
public sealed class StateCoverage
{
    readonly StateCoverageOptions _o;
    readonly PackedDataset _data;
    readonly int _seed, _prefix;

    /// <summary>Coverage of <paramref name="options"/> over <paramref name="data"/>, seeded by the stage's data seed.</summary>
    public StateCoverage(StateCoverageOptions options, PackedDataset data, int seed)
    {
        (_o, _data, _seed) = (options, data, seed);
        _prefix = options.PrefixTokens > 0 ? options.PrefixTokens : data.SequenceLength;
    }

    /// <summary>Whether the row with global index <paramref name="row"/> starts from a non-zero state.</summary>
    public bool Chosen(long row) => _o.Ratio > 0 && new Random(Seeds.Combine(_seed, row, 0x57a7e)).NextDouble() < _o.Ratio;

    /// <summary>The stage input for <paramref name="batch"/> (a plain one when no row is chosen).</summary>
    public StageInput Prepare(TrainingBatch batch)
    {
        var chosen = batch.Rows.Select(Chosen).ToArray();
        if (!chosen.Any(c => c)) return StageInput.Plain(batch.Ids, batch.Mask);
        return _o.Start == StateStartKind.CarriedOver ? CarriedOver(batch, chosen) : Noise(batch, chosen);
    }

    StageInput CarriedOver(TrainingBatch batch, bool[] chosen)
    {
        long b = batch.Ids.shape[0];
        var ids = new long[b * _prefix];
        var mask = new long[b * _prefix];
        Array.Fill(ids, _data.PadId);
        for (int r = 0; r < b; r++)
        {
            if (!chosen[r]) continue;
            var rng = new Random(Seeds.Combine(_seed, batch.Rows[r], 0xca77));
            var (tokens, length) = _data.Chunk(_data.TrainChunks[rng.Next(_data.TrainChunks.Count)]);
            int take = Math.Min(_prefix, length);
            var span = tokens.Span[(length - take)..length];
            for (int i = 0; i < take; i++)
            {
                // Right-aligned, so the earlier sequence ends where the row begins.
                ids[r * _prefix + _prefix - take + i] = span[i];
                mask[r * _prefix + _prefix - take + i] = 1;
            }
        }
        var device = batch.Ids.device;
        var prefixIds = tensor(ids, new[] { b, (long)_prefix }, device: device);
        var prefixMask = tensor(mask, new[] { b, (long)_prefix }, device: device);
        return new StageInput(
            cat(new[] { prefixIds, batch.Ids }, 1),                                           // [B, P + L]
            cat(new[] { prefixMask, batch.Mask }, 1),
            cat(new[] { zeros_like(prefixMask), batch.Mask }, 1),
            new RecurrentStart { DetachedPrefix = _prefix });
    }

    StageInput Noise(TrainingBatch batch, bool[] chosen) => new(batch.Ids, batch.Mask, batch.Mask, new RecurrentStart
    {
        NoiseRows = tensor(chosen, device: batch.Ids.device),
        NoiseSeed = Seeds.Combine(_seed, batch.Rows[0], 0x9015e),
        NoiseTokens = _prefix,
    });
}
