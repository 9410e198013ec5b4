namespace Lawcat.Evaluation;

/// <summary>
/// One prompt of a long-context evaluation and what counts as a right answer.
/// Lengths are in tokens of the evaluated model's tokenizer, counted on <see cref="Prompt"/> alone as
/// <c>Encode(Prompt, addSpecialTokens: true)</c> gives them: with BOS when the tokenizer adds one, without any chat
/// template and without the tokens the model will generate.
/// </summary>
/// <param name="Task">The task name, one of <see cref="EvalTask"/>.</param>
/// <param name="Seed">The run's seed the sample was drawn from.</param>
/// <param name="Index">The sample's index within the run; (Seed, Index) fixes the sample's random draws.</param>
/// <param name="Prompt">The text sent to the model, which continues it.</param>
/// <param name="Answers">Accepted answer strings, as the task's scorer reads them.</param>
/// <param name="TargetLength">The length asked for (BABILong: the split, in its own unit).</param>
/// <param name="ActualLength">The prompt's real length (at most the target unless the task's minimum exceeds it or, as
/// BABILong's, the task counts only part of the prompt).</param>
/// <param name="Depth">Where the needle sits as a fraction 0..1 of the haystack, in the benchmark's unit; null where the
/// task has no single needle.</param>
/// <param name="Metadata">Task details for analysis (e.g. the needle text, bAbI facts and supporting-fact positions).</param>
public sealed record EvalSample(
    string Task,
    int Seed,
    int Index,
    string Prompt,
    IReadOnlyList<string> Answers,
    int TargetLength,
    int ActualLength,
    double? Depth,
    IReadOnlyDictionary<string, string> Metadata);
