namespace Lawcat.Evaluation;

/// <summary>The task names that <see cref="EvalSample.Task"/> carries (the benchmarks' own names where they have one).</summary>
public static class EvalTask
{
    /// <summary>Passkey retrieval (landmark-attention / LongLoRA prompt).</summary>
    public const string Passkey = "passkey";

    /// <summary>RULER <c>niah_single_1</c> (S-NIAH-1): repeated-sentence haystack, word key, 7-digit number.</summary>
    public const string SNiah1 = "niah_single_1";

    /// <summary>RULER <c>niah_single_2</c> (S-NIAH-2): essay haystack, word key, 7-digit number.</summary>
    public const string SNiah2 = "niah_single_2";

    /// <summary>RULER <c>niah_single_3</c> (S-NIAH-3): essay haystack, word key, UUID.</summary>
    public const string SNiah3 = "niah_single_3";

    /// <summary>BABILong qa2 (bAbI task 2, two supporting facts).</summary>
    public const string BabilongQa2 = "babilong_qa2";

    /// <summary>BABILong qa3 (bAbI task 3, three supporting facts).</summary>
    public const string BabilongQa3 = "babilong_qa3";
}
