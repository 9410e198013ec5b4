using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Evaluation;

/// <summary>Several evaluation plans on several models (e.g. teacher and student), one sample at a time, greedy.</summary>
public static class EvalSuite
{
    /// <summary>Every plan on every model; <paramref name="log"/> gets one line per model and task when it finishes.</summary>
    public static List<EvalResult> Run(IReadOnlyList<(string Name, LlamaModel Model)> models, ITokenizer tokenizer, IReadOnlyList<EvalPlan> plans, Action<string>? log = null)
    {
        var results = new List<EvalResult>();
        using var _ = no_grad();
        foreach (var (name, model) in models)
            foreach (var plan in plans)
            {
                var part = EvalRunner.Run(model, name, tokenizer, plan);
                results.AddRange(part);
                log?.Invoke($"{name} {plan.Generator.Task}: {part.Average(r => r.Score) * 100:F1}% over {part.Count} samples, {part.Average(r => r.Seconds):F2} s/sample");
            }
        return results;
    }
}
