using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lawcat.Evaluation;
using Lawcat.IO;
using Lawcat.Llama;

namespace Lawcat.Tests.Cli;

/// <summary>The lawcat command line, run as users run it (a child process), on fixtures and the tiny teacher.</summary>
[Trait("Category", "Cli")]
public class CliTests
{
    /// <summary>Runs the CLI from the test output folder; returns exit code and everything printed.</summary>
    internal static (int Code, string Output) Lawcat(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Lawcat.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.Root };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["COLUMNS"] = "200";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    internal static void AssertUserError((int Code, string Output) r, params string[] mentions)
    {
        Assert.Equal(1, r.Code);
        Assert.StartsWith("error:", r.Output.TrimStart());
        Assert.DoesNotContain("   at ", r.Output);
        foreach (var m in mentions) Assert.Contains(m, r.Output);
    }

    [Fact]
    public void InfoDescribesAFixtureFolder()
    {
        var r = Lawcat("info", "--model", TestPaths.LlamaFixture("gqa4-untied-llama3"));
        Assert.Equal(0, r.Code);
        Assert.Contains("8 / 2 / 12", r.Output);
        Assert.Contains("llama3", r.Output);
    }

    [Fact]
    public void GenerateFromTokenIdsOnAFixtureFolderFollowsHuggingFace()
    {
        // A random-weight fixture has no tokenizer; --prompt-ids continues token ids. HF's greedy continuation of the
        // same ids (recorded in the fixture) is the reference, up to the first near-tie of the top two logits or an eos.
        var folder = TestPaths.LlamaFixture("gqa1-tied");
        var x = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors")).ReadAll();
        var input = x["input_ids"][0].data<long>().ToArray();
        var hf = x["gen.sequences"][0].data<long>().Skip(input.Length).ToArray();
        var margins = x["gen.margins"][0].data<float>().ToArray();
        var eos = LlamaConfig.FromFile(Path.Combine(folder, "config.json")).EosTokenIds;
        var r = Lawcat("generate", "--model", folder, "--prompt-ids", string.Join(",", input), "--max-new-tokens", hf.Length.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, r.Code);
        var ours = r.Output.Split('→')[1].Trim().Split(',').Select(long.Parse).ToArray();
        int compared = 0;
        for (int i = 0; i < hf.Length && i < ours.Length; i++)
        {
            Assert.Equal(hf[i], ours[i]);
            compared++;
            if (margins[i] < 1e-3f || eos.Contains((int)hf[i])) break;
        }
        Assert.True(compared >= 1);
        AssertUserError(Lawcat("generate", "--model", folder, "--prompt-ids", "1,x"), "--prompt-ids", "'x'");
        AssertUserError(Lawcat("generate", "--model", folder, "--prompt", "hi", "--prompt-ids", "1"), "--prompt-ids");
    }

    [Fact]
    public void GenerateContinuesAPasskeyPromptWithTheTinyTeacher()
    {
        var garbage = string.Join(" ", Enumerable.Repeat("The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.", 3));
        var prompt = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.\n"
            + garbage + "\nThe pass key is 4711. Remember it. 4711 is the pass key.\n" + garbage + "\nWhat is the pass key? The pass key is";
        var r = Lawcat("generate", "--prompt", prompt, "--max-new-tokens", "6");
        Assert.Equal(0, r.Code);
        Assert.Contains("The pass key is 4711", r.Output.Replace("\n", " ").Split("What is the pass key?")[1]);
    }

    [Fact]
    public void BadInputIsOneClearMessageWithoutStackTrace()
    {
        AssertUserError(Lawcat("info", "--model", "/no/such/model"), "/no/such/model", "config.json");
        AssertUserError(Lawcat("distill", "--set", "stage1.learnin_rate=1", "--print-options"), "stage1.learnin_rate");
        AssertUserError(Lawcat("distill", "--set", "stage1.learning_rate=-1", "--print-options"), "stage1.learning_rate");
        AssertUserError(Lawcat("distill", "--resume", "/no/such/run"), "/no/such/run");
        AssertUserError(Lawcat("eval", "passkey", "--lengths", "1k,lots"), "--lengths", "lots");
        AssertUserError(Lawcat("generate", "--model", TestPaths.LlamaFixture("gqa1-tied"), "--prompt", "hi"), "tokenizer.json");   // text needs a tokenizer
        var usage = Lawcat("distilll");
        Assert.Equal(2, usage.Code);
        Assert.DoesNotContain("   at ", usage.Output);
    }

    [Fact]
    public void PrintOptionsShowsThePresetForTheEmbeddedTeacher()
    {
        var r = Lawcat("distill", "--print-options", "--set", "stage1.steps=7");
        Assert.Equal(0, r.Code);
        Assert.Contains("\"sequence_length\": 1024", r.Output);
        Assert.Contains("\"steps\": 7", r.Output);
        Assert.Contains("\"mse_weight\": 1000", r.Output);
    }

    [Fact]
    public void EvalPasskeyOnTheTinyTeacherWritesResultsAndPrintsTheTable()
    {
        var outDir = TestPaths.NewTempDir();
        var r = Lawcat("eval", "passkey", "--lengths", "256", "--samples", "2", "--out", outDir);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("passkey: accuracy (%)", r.Output);
        Assert.Matches(@"passkey +│ 256 +│ [0-9.]+ \[[0-9.]+, [0-9.]+\] +│ 2 ", r.Output);
        Assert.Contains("by needle distance", r.Output);
        Assert.Contains("Wilson 95% interval", r.Output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "passkey-summary.json")));
        var cell = summary.RootElement.GetProperty("by_length")[0].GetProperty("models")[0];
        Assert.Equal(2, cell.GetProperty("n").GetInt32());
        Assert.InRange(cell.GetProperty("wilson95_low").GetDouble(), 0, cell.GetProperty("accuracy").GetDouble());
        var csv = File.ReadAllLines(Path.Combine(outDir, "passkey.csv"));
        Assert.Equal(3, csv.Length);   // header and one row per sample
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "passkey.json")));
        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.All(json.RootElement.EnumerateArray(), e => Assert.Equal("teacher", e.GetProperty("model").GetString()));
        foreach (var file in new[] { "passkey-accuracy.png", "report.html" })
            Assert.Contains(Path.Combine(outDir, file), r.Output);
        Assert.Contains("<h2>Evaluation: passkey</h2>", File.ReadAllText(Path.Combine(outDir, "report.html")));
    }

    [Fact]
    public void EvalPplPrintsAFinitePerplexityAndNamesTheText()
    {
        var r = Lawcat("eval", "ppl", "--seq-len", "256", "--chunks", "2", "--max-tokens", "1024");
        Assert.True(r.Code == 0, r.Output);
        var m = System.Text.RegularExpressions.Regex.Match(r.Output, @"teacher +│ ([0-9.]+) +│ ([0-9.]+)");
        Assert.True(m.Success, r.Output);
        double nats = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), ppl = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(ppl) && ppl > 1 && ppl < 259, $"perplexity {ppl} (vocabulary 259)");
        Assert.Equal(Math.Exp(nats), ppl, 0.01);
        var text = System.Text.RegularExpressions.Regex.Replace(r.Output, @"\s+", " ");   // the notice wraps at the console width
        Assert.Matches("1[,. ]?024 tokens read", text);
        Assert.Contains("may overlap training data", text);

        AssertUserError(Lawcat("eval", "ppl", "--seq-len", "256", "--chunks", "2", "--max-tokens", "700"), "--max-tokens 700", "768");
    }

    [Fact]
    public void PretrainWritesAModelFolderThatReloads()
    {
        var dir = TestPaths.NewTempDir();
        var text = Path.Combine(dir, "text.txt");
        File.WriteAllLines(text, Enumerable.Range(0, 200).Select(i => $"Line {i}: the cat sat on the mat and looked at the bird."));
        var model = Path.Combine(dir, "model");
        // The time limit is up before the first update: a checkpoint at update 0, then --resume trains the rest.
        var r = Lawcat("pretrain", "--out", model, "--device", "cpu", "--time-limit", "0.001", "--set", $"files={JsonSerializer.Serialize(new[] { text })}",
            "--set", "train.steps=2", "--set", "train.batch_size=2", "--set", "train.warmup_steps=1", "--set", "train.eval_every=2",
            "--set", "hidden_size=32", "--set", "intermediate_size=64", "--set", "layers=1", "--set", "heads=2", "--set", "kv_heads=1",
            "--set", "sequence_length=256", "--set", "eval_chunks=2", "--set", "passkey_eval_samples=1");
        Assert.True(r.Code == 0, r.Output);
        var said = System.Text.RegularExpressions.Regex.Replace(r.Output, @"\s+", " ");   // lines wrap at the console width
        Assert.Contains("stopped at update 0 of 2 (time limit)", said);
        Assert.Contains($"lawcatpretrain--resume{model}", said.Replace(" ", ""));   // a long path may wrap anywhere
        Assert.Contains("passkey_ratio 0.5 ignored: 256-token sequences cannot hold a passkey sample", said);
        AssertUserError(Lawcat("pretrain", "--resume", model, "--set", "train.steps=3"), "train.steps: 2 → 3");
        r = Lawcat("pretrain", "--resume", model);
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("model folder:", r.Output);
        Assert.True(File.Exists(Path.Combine(model, "PRETRAIN.md")));
        using var reloaded = LlamaModel.FromPretrained(model);
        Assert.Equal((32, 1, 2, 1), (reloaded.Config.HiddenSize, reloaded.Config.NumHiddenLayers, reloaded.Config.NumAttentionHeads, reloaded.Config.NumKeyValueHeads));
        var log = File.ReadAllLines(Path.Combine(model, "training-log.jsonl"));
        Assert.Equal(2, log.Count(l => l.Contains("\"loss\"")));
    }

    [Fact]
    public void AblatePrintsEachVariantsCommandAndNamesABadGrid()
    {
        var r = Lawcat("ablate", "data/ablations/default.yaml", "--print-commands", "--set", "stage1.steps=7");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("# no conv\nlawcat distill --set lawcat.conv_on_key=false --set lawcat.conv_on_query=false --set passkey_eval.teacher=false --set stage1.steps=7", r.Output.Replace("\r\n", "\n"));
        AssertUserError(Lawcat("ablate", "no-such-grid.yaml"), "no-such-grid.yaml", "grid file not found");
        AssertUserError(Lawcat("ablate", "data/ablations/default.yaml", "--set", "stage1.stepz=3"), "default.yaml", "stage1.stepz");
    }

    [Fact]
    public void MainJobRunsEndToEndAtASmallScale()
    {
        var run = TestPaths.NewTempDir();
        var r = Lawcat("distill", "--out", run, "--set", "stage1.steps=2", "--set", "stage2.steps=1", "--set", "data.sequence_length=256",
            "--set", "data.max_tokens=20000", "--set", "passkey_eval.samples=1", "--set", "passkey_eval.length_multiples=[4]");
        Assert.True(r.Code == 0, r.Output);
        Assert.Contains("passkey retrieval accuracy (%), distilled at 256", r.Output);
        Assert.Matches("passkey +│ 1024 +│ 100.0", r.Output);
        Assert.True(File.Exists(Path.Combine(run, "passkey.csv")));
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "stage2-last.safetensors")));
        // The run folder holds its figures and report, and the output says where.
        foreach (var file in new[] { "stage1-loss.png", "stage2-loss.png", "passkey-accuracy.png", "report.html" })
        {
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} is not in the run folder");
            Assert.Contains(Path.Combine(run, file), r.Output);
        }
        Assert.Matches(@"(?m)^report +\S*report\.html$", r.Output);

        // eval passkey with its default seed draws the samples distill evaluated, and the models answer them alike.
        var evalDir = Path.Combine(run, "eval");
        var e = Lawcat("eval", "passkey", "--student", Path.Combine(run, "checkpoints", "stage2-last.safetensors"), "--lengths", "1024", "--samples", "1", "--out", evalDir);
        Assert.True(e.Code == 0, e.Output);
        static string[] Samples(string folder) => EvalReport.Load(Path.Combine(folder, "passkey.json"))
            .Select(x => $"{x.Model} {x.TargetLength} {x.ActualLength} {x.Index} {x.Answer} {x.NeedleDistance} {x.Score} {x.Output}").Order().ToArray();
        Assert.Equal(Samples(run), Samples(evalDir));
        var export = Path.Combine(run, "exported");
        Assert.Equal(0, Lawcat("export", "--student", Path.Combine(run, "checkpoints", "stage2-last.safetensors"), "--out", export).Code);
        Assert.Equal(0, Lawcat("generate", "--model", export, "--prompt", "Once upon a time", "--max-new-tokens", "4").Code);
    }
}
