namespace Lawcat.Data;

/// <summary>
/// The option names that set a packed dataset's text and sizes in the command that builds it, so that an error about
/// too little data tells the user what to change in that command.
/// </summary>
/// <param name="Data">Where the text comes from (e.g. <c>data.files</c>).</param>
/// <param name="SequenceLength">Tokens per chunk (e.g. <c>data.sequence_length</c>).</param>
/// <param name="EvalChunks">Chunks held out (e.g. <c>data.eval_chunks</c>).</param>
public sealed record DataSizeKeys(string Data, string SequenceLength, string EvalChunks)
{
    /// <summary><c>lawcat distill</c>'s options.</summary>
    public static DataSizeKeys Distill { get; } = new("data.files", "data.sequence_length", "data.eval_chunks");
    /// <summary><c>lawcat pretrain</c>'s options.</summary>
    public static DataSizeKeys Pretrain { get; } = new("files", "sequence_length", "eval_chunks");
    /// <summary><c>lawcat eval ppl</c>'s arguments.</summary>
    public static DataSizeKeys EvalPpl { get; } = new("--data, --max-tokens", "--seq-len", "--chunks");
}
