using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>
/// An instruction-tuned model's chat format, for evaluating such a model the way BABILong runs one: the task's prompt as
/// a single user turn after a system prompt, then the assistant's header (<c>apply_chat_template(...,
/// add_generation_prompt=True)</c>), tokenized without adding special tokens since the text already starts with BOS.
/// The workbench renders the Llama 3 family's format, recognized in the folder's <c>tokenizer_config.json</c>; the
/// Llama 3.1 / 3.2 templates also open the system turn with a knowledge-cutoff and date preamble, written here with the
/// templates' own fallback date so that prompts do not change from day to day.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The system prompt BABILong's Llama-3.2 scripts use.</summary>
    public const string BabilongSystemPrompt = "You are a helpful AI assistant.";

    /// <summary>The Llama 3.1 / 3.2 system preamble, with the date the templates fall back to.</summary>
    public const string Llama31Preamble = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

    /// <summary>The token that ends a turn; generation stops at it.</summary>
    public const string EndOfTurn = "<|eot_id|>";

    const string Header = "<|start_header_id|>{0}<|end_header_id|>\n\n";

    readonly string _bos;
    readonly string _preamble;
    readonly string _system;

    ChatTemplate(string bos, string preamble, string system)
    {
        _bos = bos;
        _preamble = preamble;
        _system = system;
    }

    /// <summary>The Llama 3 format with <paramref name="systemPrompt"/>; <paramref name="withDatePreamble"/> for the
    /// Llama 3.1 / 3.2 templates.</summary>
    public static ChatTemplate Llama3(string systemPrompt, bool withDatePreamble) =>
        new("<|begin_of_text|>", withDatePreamble ? Llama31Preamble : "", systemPrompt);

    /// <summary>The chat format of the model folder <paramref name="folder"/>, read from its tokenizer_config.json.</summary>
    /// <exception cref="LawcatException">The folder has no chat template, or one the workbench does not render.</exception>
    public static ChatTemplate FromModelFolder(string folder, string systemPrompt)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path))
            throw new LawcatException($"{path}: not found; a chat template is read from an instruction-tuned model's tokenizer_config.json.");
        var template = TemplateText(path);
        if (!template.Contains("<|start_header_id|>", StringComparison.Ordinal) || !template.Contains(EndOfTurn, StringComparison.Ordinal))
            throw new LawcatException($"{path}: chat_template is not Llama 3's header format (<|start_header_id|>role<|end_header_id|>), " +
                "the one the workbench renders; evaluate without the chat template.");
        return Llama3(systemPrompt, template.Contains("Cutting Knowledge Date", StringComparison.Ordinal));
    }

    static string TemplateText(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path))?["chat_template"]; }
        catch (JsonException e) { throw new LawcatException($"{path}: not valid JSON ({e.Message})."); }
        // A template is a string, or a list of named templates of which "default" is the chat one.
        var text = node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonArray a => a.OfType<JsonObject>().FirstOrDefault(t => (string?)t["name"] == "default")?["template"]?.GetValue<string>(),
            _ => null,
        };
        return text ?? throw new LawcatException($"{path}: no chat_template; expected an instruction-tuned model's tokenizer_config.json, " +
            "or evaluate without the chat template (base models).");
    }

    /// <summary>The text the model reads for one user turn holding <paramref name="prompt"/> (trimmed, as the templates do).</summary>
    public string Render(string prompt) =>
        _bos + string.Format(Header, "system") + _preamble + _system.Trim() + EndOfTurn
        + string.Format(Header, "user") + prompt.Trim() + EndOfTurn
        + string.Format(Header, "assistant");

    /// <summary>The ids of <paramref name="prompt"/> rendered as a user turn; no special tokens are added, as the text holds BOS.</summary>
    /// <exception cref="LawcatException">The tokenizer does not know the format's special tokens.</exception>
    public IReadOnlyList<int> Encode(ITokenizer tok, string prompt)
    {
        if (tok.TokenToId(EndOfTurn) is null || tok.TokenToId(_bos) is null)
            throw new LawcatException($"the tokenizer has no {_bos} or {EndOfTurn} token, which Llama 3's chat format needs.");
        return tok.Encode(Render(prompt), addSpecialTokens: false);
    }

    /// <summary>The end-of-turn token's id, where generation stops.</summary>
    public int EndOfTurnId(ITokenizer tok) => tok.TokenToId(EndOfTurn) ?? throw new LawcatException($"the tokenizer has no {EndOfTurn} token.");
}
