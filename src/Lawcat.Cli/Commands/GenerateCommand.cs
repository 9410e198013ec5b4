using System.ComponentModel;
using Lawcat.Conversion;
using Lawcat.Distillation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Lawcat.Cli.Commands;

/// <summary>
/// <c>lawcat generate --model DIR --prompt TEXT --max-new-tokens N</c>, or <c>--prompt-ids 1,2,3</c> for a folder without a
/// tokenizer (a random-weight model built from a config): greedy continuation, printed as text or as token ids.
/// </summary>
sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--prompt <TEXT>"), Description("Text to continue.")]
        public string Prompt { get; init; } = "";

        [CommandOption("--prompt-ids <IDS>"), Description("Token ids to continue, comma-separated, instead of --prompt (no tokenizer needed); prints ids.")]
        public string? PromptIds { get; init; }

        [CommandOption("--max-new-tokens <N>"), Description("Tokens to generate (greedy)."), DefaultValue(64)]
        public int MaxNewTokens { get; init; } = 64;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if ((s.Prompt == "") == (s.PromptIds is null)) throw new LawcatException("give either --prompt TEXT or --prompt-ids IDS.");
        Cli.CheckedNewTokens(s.MaxNewTokens);
        var device = Cli.Device(s.Device);
        var dtype = Cli.DType(s.Dtype);
        var model = s.Student is null ? StudentFolder.Load(s.ModelFolder, dtype, device) : StudentModel.Load(s.Student, s.ModelFolder, dtype, device);
        if (s.PromptIds is not null) return GenerateIds(model, s, device);
        var tokenizer = BpeTokenizer.FromModelFolder(s.ModelFolder);
        var ids = TextGeneration.Encode(tokenizer, s.Prompt, device);
        Cli.WarnPastContext((int)ids.shape[1], s.MaxNewTokens, model.Config.MaxPositionEmbeddings, "--prompt and --max-new-tokens");
        var text = TextGeneration.Continue(model, tokenizer, ids, s.MaxNewTokens);
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(s.Prompt)}[/]{Markup.Escape(text)}");
        if (TokensAreBytes(tokenizer))
            AnsiConsole.MarkupLine($"[grey]({Markup.Escape(ByteLevelNote(s.MaxNewTokens))})[/]");
        return 0;
    }

    /// <summary>What --max-new-tokens means with a tokenizer whose tokens are bytes.</summary>
    public static string ByteLevelNote(int maxNewTokens) =>
        $"this model's tokens are bytes: --max-new-tokens {maxNewTokens} is at most {maxNewTokens} bytes of text";

    /// <summary>
    /// True when every token is one byte (the embedded tiny teacher's tokenizer): common words, which any trained BPE
    /// merges into a few tokens, stay one token per byte.
    /// </summary>
    public static bool TokensAreBytes(ITokenizer tokenizer)
    {
        const string probe = "the cat and the dog of the town";
        return tokenizer.Encode(probe, addSpecialTokens: false).Count == System.Text.Encoding.UTF8.GetByteCount(probe);
    }

    static int GenerateIds(LlamaModel model, Settings s, Device device)
    {
        var ids = PromptIds(s.PromptIds!, model.Config.VocabSize);
        Cli.WarnPastContext(ids.Length, s.MaxNewTokens, model.Config.MaxPositionEmbeddings, "--prompt-ids and --max-new-tokens");
        var stops = model.Config.EosTokenIds;
        var output = model.Generate(tensor(ids, new long[] { 1, ids.Length }, device: device), null, s.MaxNewTokens, stops);
        var generated = output[0].data<long>().ToArray();
        AnsiConsole.MarkupLine($"[grey]{string.Join(",", ids)}[/] → {string.Join(",", generated)}");
        return 0;
    }

    static long[] PromptIds(string text, int vocab)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], out ids[i]) || ids[i] < 0 || ids[i] >= vocab)
                throw new LawcatException($"--prompt-ids: '{parts[i]}' is not a token id of this model (0 to {vocab - 1}).");
        if (ids.Length == 0) throw new LawcatException("--prompt-ids: give at least one token id, e.g. --prompt-ids 1,5,9.");
        return ids;
    }
}
