using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Attention;
using Lawcat.Benchmarks;
using Lawcat.Conversion;
using Lawcat.IO;
using Lawcat.Kernels;
using Lawcat.Llama;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat bench attention</c>: prefill latency and memory of softmax SDPA vs LAWCAT per sequence length.</summary>
sealed class BenchAttentionCommand : Command<BenchAttentionCommand.Settings>
{
    public sealed class Settings : DeviceSettings
    {
        [CommandOption("--lengths <LIST>"), Description("Sequence lengths, ascending (default 1k..64k on CUDA, 512..4k on CPU).")]
        public string? Lengths { get; init; }

        [CommandOption("--methods <LIST>"), Description("Subset of: sdpa, lawcat-op, lawcat-op-tensor, layer-gemms, softmax-layer, lawcat-layer, sdpa-decode, lawcat-decode, softmax-layer-decode, lawcat-layer-decode.")]
        public string? Methods { get; init; }

        [CommandOption("--heads <N>"), DefaultValue(32)] public int Heads { get; init; } = 32;
        [CommandOption("--kv-heads <N>"), DefaultValue(8)] public int KvHeads { get; init; } = 8;
        [CommandOption("--head-dim <N>"), DefaultValue(64)] public int HeadDim { get; init; } = 64;
        [CommandOption("--iterations <N>"), DefaultValue(5)] public int Iterations { get; init; } = 5;
        [CommandOption("--batch <N>"), DefaultValue(1), Description("Sequences per prefill call, e.g. a training batch (decoding steps take one).")]
        public int Batch { get; init; } = 1;
        [CommandOption("--no-backward"), Description("Time forward passes only.")] public bool NoBackward { get; init; }

        [CommandOption("--json <FILE>"), Description("Write the results as JSON.")]
        public string? Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        var device = Cli.Device(s.Device);
        var dtype = Cli.DType(s.Dtype);
        var lengths = s.Lengths is null
            ? (device.type == TorchSharp.DeviceType.CUDA ? new[] { 1024, 2048, 4096, 8192, 16384, 32768, 65536 } : new[] { 512, 1024, 2048, 4096 })
            : Cli.Lengths(s.Lengths, "--lengths");
        var methods = s.Methods?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (s.Batch < 1) throw new LawcatException($"--batch {s.Batch}: expected at least 1 sequence.");
        var o = new AttentionBenchmarkOptions(lengths, s.Heads, s.KvHeads, s.HeadDim, methods, !s.NoBackward, 2, s.Iterations, s.Batch);
        Console.WriteLine($"LAWCAT kernels: {KernelPolicies.Default.Describe()}");
        var results = AttentionBenchmark.Run(o, device, dtype, r =>
            Console.WriteLine($"{r.Method} {r.Pass} {r.Length}: {(r.Error is null ? r.Milliseconds.ToString("F3", CultureInfo.InvariantCulture) + " ms" : r.Error)}"));
        Print(Terminal.Out(), results, $"attention prefill, B={s.Batch} H={s.Heads} D={s.HeadDim} {dtype} on {device}, kernels {KernelPolicies.Default.Describe()}");
        if (s.Json is not null)
            File.WriteAllText(s.Json, JsonSerializer.Serialize(new { device = device.ToString(), dtype = dtype.ToString(), kernels = KernelPolicies.Default.Describe(), options = o, results },
                new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        return 0;
    }

    /// <summary>The results as a table under <paramref name="title"/>, one row per method, pass and length, its values never broken across lines.</summary>
    internal static void Print(IAnsiConsole console, IEnumerable<BenchResult> results, string title)
    {
        var table = new Table().AddColumn("method").AddColumn("pass");
        foreach (var header in new[] { "length", "ms", "peak memory" }) table.AddColumn(Terminal.Column(header));
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Method), Markup.Escape(r.Pass), r.Length.ToString(CultureInfo.InvariantCulture),
                r.Error is null ? r.Milliseconds.ToString("F3", CultureInfo.InvariantCulture) : "failed", r.PeakBytes is long b ? Cli.Bytes(b) : "-");
        Terminal.WriteTable(console, table, title);
    }
}

/// <summary>
/// <c>lawcat bench kernels</c>: checks the CUDA kernels against the fp32 recurrence, and the fused LAWCAT layer against its
/// tensor operations (needs a GPU).
/// </summary>
sealed class BenchKernelsCommand : Command<BenchKernelsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--device <DEVICE>"), Description("cuda or cuda:N."), DefaultValue("cuda")]
        public string Device { get; init; } = "cuda";

        [CommandOption("--json <FILE>"), Description("Write the results as JSON.")]
        public string? Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        var device = Cli.Device(s.Device);
        if (device.type != TorchSharp.DeviceType.CUDA) throw new LawcatException("--device: the kernel check needs cuda.");
        var cases = GlaCudaCheck.Cases(device).Concat(LawcatKernelsCheck.Cases(device)).Concat(DecoderKernelsCheck.Cases(device)).ToList();
        var rows = KernelCheck.Run(cases.Select(c => c with { Run = () => Print(c.Run()) }));
        int ran = rows.Select(r => r.Case).Distinct().Count();
        if (ran < cases.Count) Console.WriteLine($"stopped after a fault: {cases.Count - ran} of {cases.Count} cases not run (the CUDA context is lost)");
        Console.WriteLine($"{rows.Count(r => r.Passed)} of {rows.Count} checks within tolerance");
        if (s.Json is not null)
            File.WriteAllText(s.Json, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        return rows.All(r => r.Passed) ? 0 : 1;
    }

    // Rows are printed as each case finishes, so a run that dies still shows how far it got.
    static IEnumerable<KernelCheckRow> Print(IEnumerable<KernelCheckRow> rows)
    {
        var list = rows.ToList();
        foreach (var r in list) Console.WriteLine(Line(r));
        return list;
    }

    static string Line(KernelCheckRow r) => r.Error is not null
        ? $"FAIL {r.Case}: {r.Error}"
        : $"{(r.Passed ? "ok  " : "FAIL")} {r.Case}: output {r.OutputError:E2}, state {r.StateError:E2} (tolerance {r.Tolerance:E0})";
}

/// <summary>
/// <c>lawcat bench model</c>: load time, logit agreement with a reference (HF's, on the same ids), prefill and decode
/// speed of the teacher and of its LAWCAT conversion (untrained: speed only).
/// </summary>
sealed class BenchModelCommand : Command<BenchModelCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--reference <FILE>"), Description("safetensors with input_ids [B, T] and logits [B, T, V] to compare against.")]
        public string? Reference { get; init; }

        [CommandOption("--prefill <LIST>"), Description("Prefill lengths."), DefaultValue("1k,8k")]
        public string Prefill { get; init; } = "1k,8k";

        [CommandOption("--decode <LIST>"), Description("Context lengths for decode speed."), DefaultValue("1k,8k")]
        public string Decode { get; init; } = "1k,8k";

        [CommandOption("--profile-decode"), Description("Also break one decoding step down into embedding, layers and head.")]
        public bool ProfileDecode { get; init; }

        [CommandOption("--no-student"), Description("Skip the LAWCAT conversion.")]
        public bool NoStudent { get; init; }

        [CommandOption("--student-only"), Description("Time only the LAWCAT conversion (run the teacher in another process to record each one's own peak memory).")]
        public bool StudentOnly { get; init; }

        [CommandOption("--random <ARCHITECTURE>"), Description("Instead of a model folder, random weights of an architecture: llama-3.2-1b (speed does not depend on the weights).")]
        public string? Random { get; init; }

        [CommandOption("--json <FILE>"), Description("Write the results as JSON.")]
        public string? Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        var device = Cli.Device(s.Device);
        var dtype = Cli.DType(s.Dtype);
        long baseline = GpuMemory.UsedBytes() ?? 0;
        if (s.NoStudent && s.StudentOnly) throw new LawcatException("--no-student and --student-only exclude each other.");
        var sw = Stopwatch.StartNew();
        var model = s.Random switch
        {
            null => StudentFolder.Load(s.ModelFolder, dtype, device),
            "llama-3.2-1b" => new LlamaModel(LlamaConfig.Llama32_1B, device, dtype),
            _ => throw new LawcatException($"--random '{s.Random}': expected llama-3.2-1b."),
        };
        model.eval();
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
        double loadSeconds = sw.Elapsed.TotalSeconds;
        var report = new JsonObject
        {
            ["model"] = s.Random is null ? Path.GetFullPath(s.ModelFolder) : $"{s.Random} (random weights)", ["device"] = device.ToString(), ["dtype"] = dtype.ToString(),
            ["kernels"] = Lawcat.Kernels.KernelPolicies.Default.Describe(), ["load_seconds"] = loadSeconds,
        };
        Console.WriteLine($"loaded in {loadSeconds:F2} s");
        if (s.Reference is not null)
        {
            var reference = SafetensorsFile.Open(s.Reference).ReadAll();
            using var _ = no_grad();
            var logits = model.Forward(reference["input_ids"].to(device));
            var a = ModelBenchmark.Compare(reference["logits"], logits);
            report["logits"] = JsonSerializer.SerializeToNode(a);
            Console.WriteLine($"logits vs reference: max |diff| {a.MaxAbsDiff:G4} (reference scale {a.ReferenceScale:G4}), mean |diff| {a.MeanAbsDiff:G4}, top-1 agreement {a.Top1Agreement * 100:F2}%");
        }
        var prefill = Cli.Lengths(s.Prefill, "--prefill");
        var decode = Cli.Lengths(s.Decode, "--decode");
        if (!s.StudentOnly)
        {
            report["teacher"] = Speeds(model, prefill, decode, s.ProfileDecode, baseline);
            report["teacher_peak_bytes"] = (GpuMemory.UsedBytes() ?? baseline) - baseline;
        }
        if (!s.NoStudent)
        {
            LawcatConversion.Convert(model, LawcatOptions.Default);
            model.eval();
            report["student"] = Speeds(model, prefill, decode, s.ProfileDecode, baseline);
            report["student_peak_bytes"] = (GpuMemory.UsedBytes() ?? baseline) - baseline;
        }
        var text = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(text);
        if (s.Json is not null) File.WriteAllText(s.Json, text);
        return 0;
    }

    // Peak bytes are the process's device memory in use after a measurement (libtorch keeps what it reserved), less what
    // was in use before the model: ascending lengths make each the peak so far, weights included.
    static JsonObject Speeds(LlamaModel model, int[] prefill, int[] decode, bool profile, long baseline)
    {
        var o = new JsonObject();
        foreach (var t in prefill)
        {
            double ms = ModelBenchmark.PrefillMs(model, t);
            o[$"prefill_{t}_ms"] = ms;
            o[$"prefill_{t}_tokens_per_s"] = t / (ms / 1000);
            if (GpuMemory.UsedBytes() is long used) o[$"prefill_{t}_peak_bytes"] = used - baseline;
            Console.WriteLine($"prefill {t}: {ms:F1} ms ({t / (ms / 1000):N0} tokens/s)");
        }
        foreach (var c in decode)
        {
            double ms = ModelBenchmark.DecodeMsPerToken(model, c);
            o[$"decode_after_{c}_ms_per_token"] = ms;
            o[$"decode_after_{c}_tokens_per_s"] = 1000 / ms;
            Console.WriteLine($"decode after {c}: {ms:F2} ms/token ({1000 / ms:N1} tokens/s)");
            if (!profile) continue;
            var parts = ModelBenchmark.DecodeProfile(model, c);
            o[$"decode_after_{c}_profile_ms"] = JsonSerializer.SerializeToNode(parts);
            Console.WriteLine($"  per token: {string.Join(", ", parts.Select(p => $"{p.Key} {p.Value:F2} ms"))}");
        }
        return o;
    }
}
