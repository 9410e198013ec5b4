using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Evaluation;

/// <summary>
/// Where an evaluation keeps its finished samples, so that an interrupted one continues where it stopped: the suite
/// looks each sample up before running it and adds it once it has run.
/// </summary>
public interface IEvalRecord
{
    /// <summary>The recorded result of the sample <paramref name="key"/> names, if any.</summary>
    bool TryGet(string key, out EvalResult result);

    /// <summary>Records one sample's result under <paramref name="key"/>.</summary>
    void Add(string key, EvalResult result);
}

/// <summary>A model to evaluate: its name in the results and how to get it.</summary>
/// <param name="Name">Which model ("teacher", "student", ...).</param>
/// <param name="Load">Gives the model; called once, when the first sample that must run needs it.</param>
/// <param name="DisposeAfter">Whether the suite disposes the model once its plans are done (true for a model it loaded,
/// false for one the caller owns and keeps using).</param>
public sealed record EvalModel(string Name, Func<LlamaModel> Load, bool DisposeAfter)
{
    /// <summary>A model the suite loads when a sample needs it and disposes after its plans.</summary>
    public static EvalModel Lazy(string name, Func<LlamaModel> load) => new(name, load, true);

    /// <summary>A model the caller has loaded and disposes itself.</summary>
    public static EvalModel Loaded(string name, LlamaModel model) => new(name, () => model, false);
}

/// <summary>
/// The evaluation loop of every caller (the CLI's eval commands, distill, pretrain, the notebooks): every plan on every
/// model, one sample at a time, greedy, in the order models × plans × lengths × depths × samples.
/// </summary>
public static class EvalSuite
{
    /// <summary>Every plan on every model, with the models already loaded (the caller disposes them);
    /// <paramref name="log"/> gets one line per model and task when it finishes.</summary>
    public static List<EvalResult> Run(IReadOnlyList<(string Name, LlamaModel Model)> models, ITokenizer tokenizer, IReadOnlyList<EvalPlan> plans,
        Action<string>? log = null) =>
        Run(models.Select(m => EvalModel.Loaded(m.Name, m.Model)).ToList(), tokenizer, plans, log: log);

    /// <summary>
    /// Every plan on every model, in plan order. A sample <paramref name="record"/> already holds is taken from it as
    /// recorded; the others run and are added to it one by one. <paramref name="onSample"/> is called after each sample,
    /// recorded or run; <paramref name="log"/> gets one line per model and task when it finishes.
    /// </summary>
    public static List<EvalResult> Run(IReadOnlyList<EvalModel> models, ITokenizer tokenizer, IReadOnlyList<EvalPlan> plans,
        Action<EvalResult>? onSample = null, IEvalRecord? record = null, Action<string>? log = null, CancellationToken cancel = default)
    {
        var results = new List<EvalResult>();
        using var _ = no_grad();
        foreach (var m in models)
        {
            LlamaModel? model = null;
            try
            {
                for (int p = 0; p < plans.Count; p++)
                {
                    var plan = plans[p];
                    var stops = EvalRunner.Stops(tokenizer, plan.Chat);
                    var part = new List<EvalResult>();
                    foreach (var length in plan.Lengths)
                        for (int d = 0; d < plan.Depths.Count; d++)
                            for (int i = 0; i < plan.Samples; i++)
                            {
                                cancel.ThrowIfCancellationRequested();
                                // The plan and depth slot, not the depth drawn, identify a sample: a null depth is drawn
                                // per sample. Journals written by earlier versions use this same key.
                                var key = $"{m.Name}/{p}/{length}/{d}/{i}";
                                if (record is null || !record.TryGet(key, out var r))
                                {
                                    model ??= m.Load();
                                    var sample = plan.Generator.Generate(tokenizer, length, plan.Depths[d], i);
                                    r = EvalRunner.RunOne(model, m.Name, tokenizer, sample, plan.MaxNewTokens, stops, plan.Chat);
                                    record?.Add(key, r);
                                }
                                part.Add(r);
                                onSample?.Invoke(r);
                            }
                    results.AddRange(part);
                    if (part.Count > 0)
                        log?.Invoke($"{m.Name} {plan.Generator.Task}: {part.Average(r => r.Score) * 100:F1}% over {part.Count} samples, {part.Average(r => r.Seconds):F2} s/sample");
                }
            }
            finally
            {
                if (m.DisposeAfter) model?.Dispose();
            }
        }
        return results;
    }
}
