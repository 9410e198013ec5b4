using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Lawcat.Training;
using Spectre.Console.Cli;

namespace Lawcat.Tests.Cli;

/// <summary>
/// Mistakes and accidents, run through the lawcat command line as a child process: each is one "error: ..." line naming
/// what is wrong (exit code 1; usage errors 2), a warning where the command can go on, and nothing already written is lost.
/// </summary>
[Trait("Category", "Cli")]
public class CliErrorTests
{
    /// <summary>Runs lawcat as a child process (see <see cref="CliTests"/>).</summary>
    static (int Code, string Output) Run(params string[] args) => CliTests.Lawcat(args);

    static readonly string TinyTeacher = Path.Combine(TestPaths.Root, "data", "tiny-teacher");

    /// <summary>A copy of a model folder to damage.</summary>
    static string CopyOf(string folder)
    {
        var copy = Path.Combine(TestPaths.NewTempDir(), Path.GetFileName(folder));
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(folder)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        return copy;
    }

    static void AssertOneLine((int Code, string Output) r)
    {
        var lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, r.Output);
    }

    [Fact]
    public void UnknownOptionsAreUsageErrorsNamingTheClosestOption()
    {
        // Usage errors (the command line itself is wrong) exit with 2, as Spectre's own parse errors do; user errors with 1.
        var r = Run("eval", "passkey", "--length", "512");
        Assert.Equal(2, r.Code);
        Assert.Equal("error: unknown option '--length' for 'eval passkey'; did you mean '--lengths'?", r.Output.Trim());
        r = Run("info", "--modle", TinyTeacher);
        Assert.Equal(2, r.Code);
        Assert.Contains("did you mean '--model'?", r.Output);
        r = Run("distill", "--print-options", "--zzz");
        Assert.Equal(2, r.Code);
        Assert.Contains("its options are --config, --data", r.Output);
        CliTests.AssertUserError(Run("distill", "--set", "stage1.learnin_rate=1", "--print-options"), "did you mean 'stage1.learning_rate'?");
    }

    [Fact]
    public void LengthsAndNewTokensAreBoundedBeforeAnythingIsAllocated()
    {
        CliTests.AssertUserError(Run("eval", "passkey", "--lengths", "3000000k"), "--lengths", "'3000000k'", "1,048,576");
        CliTests.AssertUserError(Run("eval", "passkey", "--lengths", "1e400"), "--lengths", "'1e400'");
        CliTests.AssertUserError(Run("eval", "passkey", "--lengths", "NaN"), "--lengths", "'NaN'");
        CliTests.AssertUserError(Run("eval", "passkey", "--lengths", "100.5"), "--lengths", "whole number");
        CliTests.AssertUserError(Run("eval", "niah", "--max-new-tokens", "2000000"), "--max-new-tokens 2000000", "1,048,576");
        CliTests.AssertUserError(Run("bench", "attention", "--batch", "0", "--lengths", "16"), "--batch 0", "at least 1");
        var fixture = TestPaths.LlamaFixture("gqa1-tied");   // max_position_embeddings 256
        CliTests.AssertUserError(Run("generate", "--model", fixture, "--prompt-ids", "1", "--max-new-tokens", "0"), "--max-new-tokens 0");
        var r = Run("generate", "--model", fixture, "--prompt-ids", "1,2,3", "--max-new-tokens", "260");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("warning: --prompt-ids and --max-new-tokens: 3 prompt tokens + 260 new tokens = 263, past the model's context of 256", r.Output);
        r = Run("generate", "--model", fixture, "--prompt-ids", "1,2,3", "--max-new-tokens", "2");
        Assert.DoesNotContain("warning", r.Output);
    }

    [Fact]
    public void MissingFoldersAndDevicesAreOneLine()
    {
        var run = Path.Combine(TestPaths.NewTempDir(), "run");
        var r = Run("distill", "--teacher", "/no/such/teacher", "--out", run);
        CliTests.AssertUserError(r, "--teacher /no/such/teacher", "folder not found");
        AssertOneLine(r);
        Assert.False(Directory.Exists(run));
        r = Run("generate", "--model", TestPaths.LlamaFixture("gqa1-tied"), "--prompt-ids", "1", "--device", "cuda");
        CliTests.AssertUserError(r, "--device cuda");
        AssertOneLine(r);
    }

    [SkippableFact]
    public void AnUnwritableOutFolderIsNamed()
    {
        Skip.If(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || IsRoot(),
            "running as root, which writes to any folder whatever its permissions");
        var locked = TestPaths.NewTempDir();
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            foreach (var args in UnwritableCases(Path.Combine(locked, "out")))
                AssertOneLine(AssertNamesOut(Run(args)));
        }
        finally { File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
    }

    [Fact]
    public void AnOutFolderUnderAFileIsNamed()
    {
        // A folder that cannot be created, even by root: its parent is a file.
        var file = Path.Combine(TestPaths.NewTempDir(), "file");
        File.WriteAllText(file, "");
        foreach (var args in UnwritableCases(Path.Combine(file, "out")))
            AssertOneLine(AssertNamesOut(Run(args)));
    }

    static bool IsRoot() => File.Exists("/proc/self/status") &&
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:"))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";

    static (int, string) AssertNamesOut((int Code, string Output) r)
    {
        CliTests.AssertUserError(r, "--out");
        return r;
    }

    /// <summary>distill, eval, export and report writing to <paramref name="outDir"/>.</summary>
    static IEnumerable<string[]> UnwritableCases(string outDir)
    {
        var evalRun = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(evalRun, "metrics.jsonl"), "{\"stage\":1,\"step\":1,\"loss\":1.0}\n");
        yield return new[] { "distill", "--out", outDir, "--set", "stage1.steps=1" };
        yield return new[] { "eval", "passkey", "--lengths", "256", "--samples", "1", "--out", outDir };
        yield return new[] { "export", "--model", TestPaths.LlamaFixture("gqa1-tied"), "--out", outDir };
        yield return new[] { "report", evalRun, "--out", Path.Combine(outDir, "report.html") };
    }

    [Fact]
    public void BrokenModelFilesAreOneLineNamingTheFile()
    {
        var config = CopyOf(TestPaths.LlamaFixture("gqa1-tied"));
        var text = File.ReadAllText(Path.Combine(config, "config.json"));
        File.WriteAllText(Path.Combine(config, "config.json"), text.Replace("\"hidden_size\": 64,", "\"hidden_size\": 64, \"hidden_size\": 32,"));
        CliTests.AssertUserError(Run("info", "--model", config), "config.json", "hidden_size");
        File.WriteAllText(Path.Combine(config, "config.json"), text.Replace("\"intermediate_size\": 150", "\"intermediate_size\": -150"));
        CliTests.AssertUserError(Run("info", "--model", config), "config.json", "intermediate_size");

        var sharded = CopyOf(TestPaths.LlamaFixture("gqa4-untied-llama3"));
        var index = Path.Combine(sharded, "model.safetensors.index.json");
        var indexText = File.ReadAllText(index);
        var first = JsonNode.Parse(indexText)!["weight_map"]!.AsObject().First();
        var entry = $"\"{first.Key}\": \"{first.Value}\"";
        Assert.Contains(entry, indexText);
        File.WriteAllText(index, indexText.Replace(entry, entry + ", " + entry));
        CliTests.AssertUserError(Run("generate", "--model", sharded, "--prompt-ids", "1", "--max-new-tokens", "1"), "model.safetensors.index.json", first.Key, "twice");
        File.WriteAllText(index, indexText.Replace(entry, $"\"{first.Key}\": 7"));
        CliTests.AssertUserError(Run("generate", "--model", sharded, "--prompt-ids", "1", "--max-new-tokens", "1"), "model.safetensors.index.json", first.Key, "string");

        // Invalid UTF-8 inside the header's JSON: the first '"' after the 8-byte length becomes 0xFF.
        var weights = CopyOf(TestPaths.LlamaFixture("gqa1-tied"));
        var file = Path.Combine(weights, "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        bytes[Array.IndexOf(bytes, (byte)'"', 8) + 1] = 0xFF;
        File.WriteAllBytes(file, bytes);
        CliTests.AssertUserError(Run("generate", "--model", weights, "--prompt-ids", "1", "--max-new-tokens", "1"), "model.safetensors", "UTF-8");
    }

    [Fact]
    public void ATokenizerWithIdsBeyondTheModelsVocabularyIsRefusedAtLoad()
    {
        // Another model's tokenizer.json: one added token past the 259 ids of the tiny teacher's config.json.
        var teacher = CopyOf(TinyTeacher);
        var tokenizer = Path.Combine(teacher, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(tokenizer))!.AsObject();
        json["added_tokens"]!.AsArray().Add(new JsonObject
        {
            ["id"] = 300, ["content"] = "<|extra|>", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        });
        File.WriteAllText(tokenizer, json.ToJsonString());
        var r = Run("generate", "--model", teacher, "--prompt", "hi", "--max-new-tokens", "1");
        CliTests.AssertUserError(r, tokenizer, "beyond the model's vocabulary", "vocab_size 259", Path.Combine(teacher, "config.json"));
        AssertOneLine(r);
    }

    [Fact]
    public void TheCpuAllocatorsOutOfMemoryIsRecognized()
    {
        var cpu = new System.Runtime.InteropServices.ExternalException(
            "[enforce fail at alloc_cpu.cpp:118] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate 24576000000 bytes. Error code 12 (Cannot allocate memory)");
        Assert.True(OutOfDeviceMemoryException.IsOutOfMemory(cpu));
    }

    sealed class Throws : Command
    {
        public override int Execute(CommandContext context, CancellationToken cancel) => throw new InvalidOperationException("the first line\nthe second line");
    }

    [Fact]
    public void AnythingElseIsOneLineNamingItsTypeAndHowToSeeTheStackTrace()
    {
        var app = new CommandApp();
        app.Configure(c =>
        {
            c.PropagateExceptions();
            c.AddCommand<Throws>("throw");
        });
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int code;
        try { code = global::Lawcat.Cli.Cli.Run(app, new[] { "throw" }); }
        finally { Console.SetError(saved); }
        Assert.Equal(1, code);
        Assert.Equal("error: internal error (InvalidOperationException): the first line (rerun with LAWCAT_DEBUG=1 for the stack trace)", error.ToString().Trim());
    }

    [Fact]
    public void ReportToleratesACutLastLineAndNamesABrokenOne()
    {
        var run = TestPaths.NewTempDir();
        var metrics = Path.Combine(run, "metrics.jsonl");
        var good = "{\"stage\":1,\"step\":1,\"loss\":2.5,\"lr\":0.01}\n{\"stage\":1,\"step\":2,\"loss\":2.4,\"lr\":0.01}\n";
        File.WriteAllText(metrics, good + "{\"stage\":1,\"st");
        var r = Run("report", run);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("warning:", r.Output);
        Assert.Contains("line 3 is cut", r.Output);
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
        File.WriteAllText(metrics, "{\"stage\":1,\"st\n" + good);
        CliTests.AssertUserError(Run("report", run), "metrics.jsonl", "line 1");
    }

    [Fact]
    public void NonFiniteAndOutOfRangeOptionsAreRefusedBeforeAnyStageRuns()
    {
        CliTests.AssertUserError(Run("distill", "--set", "stage1.learning_rate=Infinity", "--print-options"), "stage1.learning_rate", "finite", "Infinity");
        CliTests.AssertUserError(Run("distill", "--set", "stage2.kl_weight=NaN", "--print-options"), "stage2.kl_weight", "finite");
        CliTests.AssertUserError(Run("distill", "--set", "stage2.max_grad_norm=-1", "--print-options"), "stage2.max_grad_norm");
        CliTests.AssertUserError(Run("distill", "--set", "stage2.use_lora=false", "--set", "stage2.train_lawcat=false", "--print-options"), "stage2", "nothing to train");
    }

    [Fact]
    public void ADivergingRunStopsWithTheDivergedMessage()
    {
        var run = TestPaths.NewTempDir();
        var r = Run("distill", "--out", run, "--set", "stage1.learning_rate=1e30", "--set", "stage1.steps=4", "--set", "stage1.eval_every=1",
            "--set", "stage2.steps=0", "--set", "data.sequence_length=64", "--set", "data.eval_chunks=1", "--set", "data.max_tokens=4000",
            "--set", "data.passkey_ratio=0", "--set", "passkey_eval=null");
        // The run's progress lines come first; the error is its last line.
        Assert.Equal(1, r.Code);
        Assert.DoesNotContain("   at ", r.Output);
        Assert.Matches(@"error: stage 1: attention transfer: update \d+: .* is (NaN|-?∞|-?Infinity) \(not finite\); training stopped\. The last good checkpoint is kept", r.Output.Trim().Split('\n')[^1]);
        Assert.All(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")), l => JsonNode.Parse(l));
    }

    [Fact]
    public void DistillRefusesAFolderHoldingAnotherRun()
    {
        var run = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(run, "options.json"), "{}");
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"stage\":1,\"step\":1,\"loss\":2.5}\n");
        CliTests.AssertUserError(Run("distill", "--out", run, "--set", "stage1.steps=1"), $"--out {run}", "--resume", "--force");
        Assert.Equal("{}", File.ReadAllText(Path.Combine(run, "options.json")));
        Assert.NotEmpty(File.ReadAllText(Path.Combine(run, "metrics.jsonl")));
    }

    [Fact]
    public void ExportRefusesTheTeachersFolderAndANonEmptyOneWithoutForce()
    {
        var teacher = CopyOf(TinyTeacher);
        var before = Directory.GetFiles(teacher).ToDictionary(f => f, File.ReadAllBytes);
        CliTests.AssertUserError(Run("export", "--model", teacher, "--out", teacher), "--out", "is the model folder");
        CliTests.AssertUserError(Run("export", "--model", teacher, "--out", Path.Combine(teacher, "student")), "lies inside the model folder");
        CliTests.AssertUserError(Run("export", "--model", teacher, "--out", Path.GetDirectoryName(teacher)!), "holds the model folder");
        CliTests.AssertUserError(Run("export", "--model", teacher, "--out", Path.Combine(teacher, ".")), "is the model folder");
        var link = Path.Combine(TestPaths.NewTempDir(), "link");
        Directory.CreateSymbolicLink(link, teacher);
        CliTests.AssertUserError(Run("export", "--model", teacher, "--out", link), "is the model folder");
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.False(Directory.Exists(Path.Combine(teacher, "student")));

        var full = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(full, "keep.txt"), "mine");
        CliTests.AssertUserError(Run("export", "--model", teacher, "--out", full), "not empty", "--force");
        Assert.Equal("mine", File.ReadAllText(Path.Combine(full, "keep.txt")));
    }

    /// <summary>Starts lawcat; returns the process with its output collected into <paramref name="output"/>.</summary>
    static Process Start(StringBuilder output, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.Root };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lawcat.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["COLUMNS"] = "200";
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [Fact]
    public void SigtermSavesACheckpointThatResumesWithoutDuplicateMetricsAndTheStudentExportsOverAnOldFolder()
    {
        var run = Path.Combine(TestPaths.NewTempDir(), "run");
        var options = new[] { "--set", "stage1.steps=200", "--set", "stage1.eval_every=200", "--set", "stage2.steps=1", "--set", "checkpoint_every=1000",
            "--set", "data.sequence_length=64", "--set", "data.eval_chunks=1", "--set", "data.max_tokens=8000", "--set", "data.passkey_ratio=0",
            "--set", "passkey_eval=null" };
        var output = new StringBuilder();
        using (var p = Start(output, new[] { "distill", "--out", run }.Concat(options).ToArray()))
        {
            // The progress view prints nothing on a redirected stream until the end, so wait for the first metrics row.
            var metricsFile = Path.Combine(run, "metrics.jsonl");
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(metricsFile) && File.ReadAllText(metricsFile).Contains("\"step\":1,")) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
                Thread.Sleep(50);
            Assert.False(p.HasExited, output.ToString());
            Assert.Equal(0, Kill(p.Id, 15));
            Assert.True(p.WaitForExit(120_000), output.ToString());
            p.WaitForExit();
            Assert.True(p.ExitCode == 130, output.ToString());
        }
        Assert.Contains("SIGTERM", output.ToString());
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "stage1-last.safetensors")), output.ToString());
        CliTests.AssertUserError(Run(new[] { "distill", "--out", run }.Concat(options).ToArray()), "--resume");   // a second start is refused

        var r = Run("distill", "--resume", run);
        Assert.True(r.Code == 0, r.Output);
        var rows = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o.ContainsKey("loss")).Select(o => ((int)o["stage"]!, (long)o["step"]!)).ToList();
        Assert.Equal(rows.Distinct().Count(), rows.Count);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (1, (long)i)).Append((2, 1L)), rows);

        var export = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(export, "old.txt"), "an older export");
        var checkpoint = Path.Combine(run, "checkpoints", "stage2-last.safetensors");
        CliTests.AssertUserError(Run("export", "--student", checkpoint, "--out", export), "not empty");
        r = Run("export", "--student", checkpoint, "--out", export, "--force");
        Assert.True(r.Code == 0, r.Output);
        Assert.False(File.Exists(Path.Combine(export, "old.txt")));
        Assert.True(File.Exists(Path.Combine(export, "model.safetensors")));
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetDirectoryName(export)!), d => d.StartsWith(export + ".", StringComparison.Ordinal));   // no staging or old copy left
        Assert.Equal(0, Run("generate", "--model", export, "--prompt-ids", "1,2", "--max-new-tokens", "2").Code);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    [Fact]
    public void EvaluationRecordsEachSampleAndTheSameCommandContinues()
    {
        var outDir = Path.Combine(TestPaths.NewTempDir(), "eval");
        var args = new[] { "eval", "passkey", "--lengths", "256", "--samples", "3", "--out", outDir };
        var r = Run(args);
        Assert.True(r.Code == 0, r.Output);
        var journal = Path.Combine(outDir, "passkey-samples.jsonl");
        var lines = File.ReadAllLines(journal);
        Assert.Equal(3, lines.Length);
        static string[] Samples(string folder) =>
            global::Lawcat.Evaluation.EvalReport.Load(Path.Combine(folder, "passkey.json")).Select(x => (x with { Seconds = 0 }).ToString()).ToArray();
        var first = Samples(outDir);

        // As a killed evaluation leaves it: one sample done, the next one's line cut.
        File.WriteAllText(journal, lines[0] + "\n" + lines[1][..20]);
        File.Delete(Path.Combine(outDir, "passkey.json"));
        r = Run(args);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("1 samples already done", r.Output);
        Assert.Equal(3, File.ReadAllLines(journal).Length);
        Assert.Equal(lines[0], File.ReadAllLines(journal)[0]);
        Assert.Equal(first, Samples(outDir));   // the same samples with the same answers, timings aside

        CliTests.AssertUserError(Run("eval", "passkey", "--lengths", "256", "--samples", "4", "--out", outDir), $"--out {outDir}", "samples: 3 → 4");
    }
}
