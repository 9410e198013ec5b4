using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Evaluation;
using Lawcat.IO;
using Lawcat.Training;
using Spectre.Console.Cli;

namespace Lawcat.Cli;

/// <summary>
/// An evaluation's per-sample results as they are computed: <c>TASK-samples.jsonl</c> in the output folder, one line per
/// sample, appended and flushed as each finishes, next to <c>TASK-options.json</c> (the options that produced them).
/// An interrupted or failing evaluation keeps what it computed; the same command run again onto the folder skips the
/// samples already there, and other options onto it are refused (their results would be mixed).
/// </summary>
sealed class EvalJournal : IEvalRecord, IDisposable
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    readonly Dictionary<string, EvalResult> _recorded;
    readonly StreamWriter _writer;

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>Samples already recorded when the journal was opened.</summary>
    public int Resumed { get; }

    EvalJournal(string path, Dictionary<string, EvalResult> recorded)
    {
        (Path, _recorded, Resumed) = (path, recorded, recorded.Count);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    /// <summary>
    /// Opens <c>TASK-samples.jsonl</c> in <paramref name="folder"/> for an evaluation with <paramref name="options"/>,
    /// continuing it when it exists with the same options.
    /// </summary>
    public static EvalJournal Open(string folder, string task, JsonObject options)
    {
        var path = System.IO.Path.Combine(folder, task + "-samples.jsonl");
        var optionsPath = System.IO.Path.Combine(folder, task + "-options.json");
        var recorded = new Dictionary<string, EvalResult>(StringComparer.Ordinal);
        if (File.Exists(path) && File.Exists(optionsPath))
        {
            var differences = OptionsIO.Differences(JsonNode.Parse(File.ReadAllText(optionsPath)), options);
            if (differences.Count > 0)
                throw new LawcatException($"--out {folder}: holds a {task} evaluation with other options ({string.Join("; ", differences)}); " +
                    "run it with the same options to continue it, or choose another --out.");
            var (lines, cut) = JsonLines.Read(path, "one sample record per line; remove the file to evaluate again");
            foreach (var (number, line) in lines)
            {
                try { recorded[line["key"]!.GetValue<string>()] = line["result"].Deserialize<EvalResult>(Json)!; }
                catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
                {
                    throw new LawcatException($"{path}: line {number} is not a sample record; remove the file to evaluate again.");
                }
            }
            // The last line of a killed evaluation may be cut; that sample runs again, appended after the whole lines.
            if (cut is not null) JsonLines.Write(path, lines.Select(l => l.Record));
        }
        else
        {
            TextFiles.WriteWhole(optionsPath, options.ToJsonString(OptionsIO.Json));
            File.WriteAllText(path, "");
        }
        return new EvalJournal(path, recorded);
    }

    /// <summary>The options of an evaluation as its journal records them: every command option but where the results go
    /// and how the models run (--out, --device, --kernels), and the prompt lengths they resolved to.</summary>
    public static JsonObject Options(CommandSettings settings, string task, IReadOnlyList<int> lengths)
    {
        var options = new JsonObject { ["task"] = task };
        foreach (var p in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var name = p.GetCustomAttribute<CommandOptionAttribute>()?.LongNames.FirstOrDefault();
            if (name is null or "out" or "device" or "kernels") continue;
            var value = p.GetValue(settings);
            // Folders are compared as full paths, so a relative path from another working folder still matches.
            if (name is "model" or "student" && value is string folder) value = System.IO.Path.GetFullPath(folder);
            options[name] = JsonSerializer.SerializeToNode(value);
        }
        options["resolved_lengths"] = new JsonArray(lengths.Select(l => (JsonNode)l).ToArray());
        return options;
    }

    /// <inheritdoc/>
    public bool TryGet(string key, out EvalResult result) => _recorded.TryGetValue(key, out result!);

    /// <summary>Records one sample's result, appended to the file and flushed before this returns.</summary>
    public void Add(string key, EvalResult result)
    {
        _recorded[key] = result;
        var line = new JsonObject { ["key"] = key, ["result"] = JsonSerializer.SerializeToNode(result, Json) };
        _writer.WriteLine(line.ToJsonString());
    }

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();
}
