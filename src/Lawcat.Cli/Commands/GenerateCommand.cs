using System.ComponentModel;
using Lawcat.Distillation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat generate --model DIR --prompt TEXT --max-new-tokens N</c>.</summary>
sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--prompt <TEXT>"), Description("Text to continue.")]
        public string Prompt { get; init; } = "";

        [CommandOption("--max-new-tokens <N>"), Description("Tokens to generate (greedy)."), DefaultValue(64)]
        public int MaxNewTokens { get; init; } = 64;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (s.Prompt == "") throw new LawcatException("--prompt TEXT is required.");
        if (s.MaxNewTokens < 1) throw new LawcatException($"--max-new-tokens must be ≥ 1, got {s.MaxNewTokens}.");
        var device = Cli.Device(s.Device);
        var dtype = Cli.DType(s.Dtype);
        var model = s.Student is null ? LlamaModel.FromPretrained(s.ModelFolder, dtype, device) : StudentModel.Load(s.Student, s.ModelFolder, dtype, device);
        var tokenizer = BpeTokenizer.FromModelFolder(s.ModelFolder);
        var ids = tokenizer.Encode(s.Prompt, addSpecialTokens: true).Select(i => (long)i).ToArray();
        var stops = tokenizer.EosTokenId is int eos ? new[] { eos } : Array.Empty<int>();
        var output = model.Generate(tensor(ids, new long[] { 1, ids.Length }, device: device), null, s.MaxNewTokens, stops);
        var text = tokenizer.Decode(output[0].data<long>().Select(x => (int)x).TakeWhile(t => !stops.Contains(t)), skipSpecialTokens: true);
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(s.Prompt)}[/]{Markup.Escape(text)}");
        return 0;
    }
}
