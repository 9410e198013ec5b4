using System.Diagnostics;
using Lawcat.Llama;
using Lawcat.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Evaluation;

/// <summary>One evaluated sample.</summary>
/// <param name="Model">Which model answered ("teacher", "student", ...).</param>
/// <param name="Task">Task name.</param>
/// <param name="TargetLength">Length asked for, in tokens.</param>
/// <param name="ActualLength">Prompt length in tokens.</param>
/// <param name="Depth">Needle depth, if the task has one.</param>
/// <param name="Index">Sample index.</param>
/// <param name="Score">0..1 by the task's scorer.</param>
/// <param name="Output">The model's decoded continuation.</param>
/// <param name="Answer">The expected answer(s), joined by " | ".</param>
/// <param name="Seconds">Wall time of prefill plus decoding.</param>
/// <param name="NeedleDistance">Prompt tokens after the needle (<see cref="NeedlePosition.Distance"/>); null for tasks without a single needle.</param>
public sealed record EvalResult(string Model, string Task, int TargetLength, int ActualLength, double? Depth, int Index,
    double Score, string Output, string Answer, double Seconds, int? NeedleDistance = null);

/// <summary>What to evaluate: a task generator, the lengths, the depths and the number of samples per cell.</summary>
/// <param name="Generator">Makes the samples.</param>
/// <param name="Lengths">Prompt lengths in tokens.</param>
/// <param name="Depths">Needle depths (a single null lets the task draw them).</param>
/// <param name="Samples">Samples per (length, depth) cell.</param>
/// <param name="MaxNewTokens">Tokens generated per sample (greedy; stops early at end-of-sequence).</param>
/// <param name="Chat">An instruction-tuned model's chat format to wrap each prompt in (null: the prompt as is, with the
/// tokenizer's special tokens, as base models read it).</param>
public sealed record EvalPlan(IEvalGenerator Generator, IReadOnlyList<int> Lengths, IReadOnlyList<double?> Depths, int Samples, int MaxNewTokens,
    ChatTemplate? Chat = null);

/// <summary>
/// One sample on a model with greedy decoding: the teacher decodes with its KV cache, a LAWCAT student with its
/// constant-size state (the model's own <see cref="LlamaModel.Generate"/>). <see cref="EvalSuite"/> runs whole plans.
/// </summary>
public static class EvalRunner
{
    /// <summary>Total samples of a plan.</summary>
    public static int Count(EvalPlan plan) => plan.Lengths.Count * plan.Depths.Count * plan.Samples;

    /// <summary>The ids generation stops at: the tokenizer's end-of-sequence and, in a chat, the end of the turn.</summary>
    public static int[] Stops(ITokenizer tokenizer, ChatTemplate? chat = null)
    {
        var stops = new List<int>();
        if (tokenizer.EosTokenId is int eos) stops.Add(eos);
        if (chat?.EndOfTurnId(tokenizer) is int endOfTurn && !stops.Contains(endOfTurn)) stops.Add(endOfTurn);
        return stops.ToArray();
    }

    /// <summary>The ids the model reads for <paramref name="sample"/>: its prompt with the tokenizer's special tokens, or
    /// wrapped in <paramref name="chat"/>.</summary>
    public static IReadOnlyList<int> PromptIds(ITokenizer tokenizer, EvalSample sample, ChatTemplate? chat = null) =>
        chat is null ? tokenizer.Encode(sample.Prompt, addSpecialTokens: true) : chat.Encode(tokenizer, sample.Prompt);

    /// <summary>The most tokens a model needs for <paramref name="plan"/> at <paramref name="length"/>: its longest prompt as
    /// the model reads it plus the tokens it generates.</summary>
    public static int TokensNeeded(EvalPlan plan, ITokenizer tokenizer, int length) =>
        plan.Depths.SelectMany(d => Enumerable.Range(0, plan.Samples).Select(i => plan.Generator.Generate(tokenizer, length, d, i)))
            .Max(sample => PromptIds(tokenizer, sample, plan.Chat).Count) + plan.MaxNewTokens;

    /// <summary>Generates and scores one sample; <paramref name="chat"/> wraps the prompt for an instruction-tuned model.</summary>
    public static EvalResult RunOne(LlamaModel model, string modelName, ITokenizer tokenizer, EvalSample sample, int maxNewTokens,
        IReadOnlyCollection<int> stops, ChatTemplate? chat = null)
    {
        using var scope = NewDisposeScope();
        var ids = PromptIds(tokenizer, sample, chat).Select(x => (long)x).ToArray();
        var input = tensor(ids, new long[] { 1, ids.Length }, device: model.Device);
        var clock = Stopwatch.StartNew();
        var generated = model.Generate(input, null, maxNewTokens, stops).data<long>().Select(x => (int)x).ToList();
        if (model.Device.type == DeviceType.CUDA) cuda.synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        var cut = generated.FindIndex(t => stops.Contains(t));
        var output = tokenizer.Decode(cut >= 0 ? generated.Take(cut) : generated, skipSpecialTokens: true);
        double score = EvalScoring.For(sample.Task).Score(sample, output);
        return new EvalResult(modelName, sample.Task, sample.TargetLength, sample.ActualLength, sample.Depth, sample.Index,
            score, output, string.Join(" | ", sample.Answers), seconds, NeedlePosition.Locate(tokenizer, sample)?.Distance);
    }

    /// <summary>Mean score per (model, target length), in the order they first appear.</summary>
    public static List<(string Model, int Length, double Accuracy, int Samples)> AccuracyByLength(IEnumerable<EvalResult> results) =>
        results.GroupBy(r => (r.Model, r.TargetLength))
            .Select(g => (g.Key.Model, g.Key.TargetLength, g.Average(r => r.Score), g.Count())).ToList();
}
