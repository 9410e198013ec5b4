using static TorchSharp.torch;

namespace Lawcat.Data;

/// <summary>Where a training run is in its data: epoch and offset into that epoch's order.</summary>
/// <param name="Epoch">Completed passes over the training chunks.</param>
/// <param name="Offset">Rows already taken from the current epoch.</param>
public sealed record DataPosition(int Epoch, int Offset);

/// <summary>One training batch.</summary>
/// <param name="Ids">Token ids [B, L], right-padded.</param>
/// <param name="Mask">1 for real tokens, 0 for padding, [B, L] (int64).</param>
/// <param name="Rows">Each row's global index in the stream, which alone decides everything random about the row.</param>
public sealed record TrainingBatch(Tensor Ids, Tensor Mask, long[] Rows);

/// <summary>
/// Training batches in a resumable order: rows come from the dataset's seeded epoch orders; with a passkey ratio,
/// the row at each global position is replaced by a synthetic sample decided by that position alone, so a resumed run
/// sees exactly the rows an uninterrupted one would.
/// </summary>
public sealed class BatchStream
{
    readonly PackedDataset _data;
    readonly int _seed;
    readonly double _syntheticRatio;
    readonly Func<long, int[]>? _synthetic;
    int[] _order;

    /// <summary>The next row's position.</summary>
    public DataPosition Position { get; private set; }

    /// <summary>
    /// Batches of <paramref name="data"/> from <paramref name="start"/>. <paramref name="synthetic"/> makes the sample for a
    /// global row index (truncated to the sequence length); a share <paramref name="syntheticRatio"/> of rows are synthetic.
    /// </summary>
    public BatchStream(PackedDataset data, int seed, DataPosition? start = null, double syntheticRatio = 0, Func<long, int[]>? synthetic = null)
    {
        (_data, _seed, _syntheticRatio, _synthetic) = (data, seed, syntheticRatio, synthetic);
        Position = start ?? new DataPosition(0, 0);
        _order = data.EpochOrder(Position.Epoch, seed);
    }

    /// <summary>The next <paramref name="batchSize"/> rows as ids and mask [B, L].</summary>
    public TrainingBatch Next(int batchSize, Device? device = null)
    {
        var rows = new List<(ReadOnlyMemory<int>, int)>();
        var globals = new long[batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            if (Position.Offset == _order.Length)
            {
                Position = new DataPosition(Position.Epoch + 1, 0);
                _order = _data.EpochOrder(Position.Epoch, _seed);
            }
            long global = (long)Position.Epoch * _order.Length + Position.Offset;
            globals[i] = global;
            rows.Add(IsSynthetic(global) ? SyntheticRow(global) : _data.Chunk(_order[Position.Offset]));
            Position = Position with { Offset = Position.Offset + 1 };
        }
        var (ids, mask) = PackedDataset.ToBatch(rows, _data.SequenceLength, _data.PadId, device);
        return new TrainingBatch(ids, mask, globals);
    }

    bool IsSynthetic(long global) => _synthetic is not null && _syntheticRatio > 0 && new Random(Seeds.Combine(_seed, global, 0x9a55)).NextDouble() < _syntheticRatio;

    (ReadOnlyMemory<int>, int) SyntheticRow(long global)
    {
        var ids = _synthetic!(global);
        int n = Math.Min(ids.Length, _data.SequenceLength);
        return (ids.AsMemory(0, n), n);
    }
}
