using System.Text;
using Lawcat.IO;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// Strict loading of a model folder's weights into a module: every missing key, unexpected key and shape mismatch is found
/// first and reported together by name, with expected and found shapes; only then are weights copied.
/// </summary>
public static class WeightLoader
{
    /// <summary>
    /// Copies the tensors of <paramref name="weights"/> into <paramref name="module"/>'s parameters and buffers,
    /// converting dtype and device. Keys in <paramref name="ignoreUnexpected"/> may be present without a match.
    /// Tensors holding NaN or infinite values load, and are named in one warning given to <paramref name="warn"/>
    /// (standard error when null): such weights are legal in the file but make every output non-finite.
    /// </summary>
    public static void LoadStrict(nn.Module module, SafetensorsWeights weights, string source, IReadOnlySet<string>? ignoreUnexpected = null,
        Action<string>? warn = null)
    {
        var expected = module.state_dict();
        var missing = expected.Keys.Where(k => !weights.Entries.ContainsKey(k)).ToList();
        var unexpected = weights.Entries.Keys.Where(k => !expected.ContainsKey(k) && ignoreUnexpected?.Contains(k) != true).ToList();
        var misshaped = expected.Where(kv => weights.Entries.TryGetValue(kv.Key, out var e) && !e.Shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: expected {Shape(kv.Value.shape)}, found {Shape(weights.Entries[kv.Key].Shape)}").ToList();
        if (missing.Count + unexpected.Count + misshaped.Count > 0)
        {
            var sb = new StringBuilder($"{source}: the weights do not match the architecture in config.json.");
            void List(string title, IEnumerable<string> items)
            {
                var l = items.ToList();
                if (l.Count == 0) return;
                sb.Append($"\n  {title} ({l.Count}):");
                foreach (var i in l.Take(50)) sb.Append("\n    ").Append(i);
                if (l.Count > 50) sb.Append($"\n    ... and {l.Count - 50} more");
            }
            List("missing", missing.Select(k => $"{k} {Shape(expected[k].shape)}"));
            List("unexpected", unexpected.Select(k => $"{k} {Shape(weights.Entries[k].Shape)}"));
            List("wrong shape", misshaped);
            throw new LawcatException(sb.ToString());
        }
        var nonFinite = CopyWeights(expected, weights);
        if (nonFinite.Count > 0)
            (warn ?? (m => Console.Error.WriteLine(m)))($"warning: {source}: {nonFinite.Count} tensor(s) hold NaN or infinite values, so the model's outputs will not be finite: {Names(nonFinite)}.");
    }

    /// <summary>Copies every weight; returns the names of those whose values in the file are not all finite.</summary>
    static List<string> CopyWeights(Dictionary<string, Tensor> expected, SafetensorsWeights weights)
    {
        var nonFinite = new List<string>();
        using var _ = no_grad();
        foreach (var (name, target) in expected)
        {
            using var scope = NewDisposeScope();
            var weight = weights.Read(name);
            if (weight.is_floating_point() && !isfinite(weight).all().item<bool>()) nonFinite.Add(name);
            target.copy_(weight);
        }
        return nonFinite;
    }

    static string Names(List<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");

    static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";
}
