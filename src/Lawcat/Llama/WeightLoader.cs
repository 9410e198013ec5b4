using System.Text;
using Lawcat.IO;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// Strict loading of a checkpoint into a module: every missing key, unexpected key and shape mismatch is found
/// first and reported together by name, with expected and found shapes; only then are weights copied.
/// </summary>
public static class WeightLoader
{
    /// <summary>
    /// Copies the tensors of <paramref name="checkpoint"/> into <paramref name="module"/>'s parameters and buffers,
    /// converting dtype and device. Keys in <paramref name="ignoreUnexpected"/> may be present without a match.
    /// </summary>
    public static void LoadStrict(nn.Module module, SafetensorsCheckpoint checkpoint, string source, IReadOnlySet<string>? ignoreUnexpected = null)
    {
        var expected = module.state_dict();
        var missing = expected.Keys.Where(k => !checkpoint.Entries.ContainsKey(k)).ToList();
        var unexpected = checkpoint.Entries.Keys.Where(k => !expected.ContainsKey(k) && ignoreUnexpected?.Contains(k) != true).ToList();
        var misshaped = expected.Where(kv => checkpoint.Entries.TryGetValue(kv.Key, out var e) && !e.Shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: expected {Shape(kv.Value.shape)}, found {Shape(checkpoint.Entries[kv.Key].Shape)}").ToList();
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
            List("unexpected", unexpected.Select(k => $"{k} {Shape(checkpoint.Entries[k].Shape)}"));
            List("wrong shape", misshaped);
            throw new LawcatException(sb.ToString());
        }
        using var _ = no_grad();
        foreach (var (name, target) in expected)
        {
            using var scope = NewDisposeScope();
            target.copy_(checkpoint.Read(name));
        }
    }

    static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";
}
