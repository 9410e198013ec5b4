using System.Text.Json.Nodes;
using Lawcat.Evaluation;
using Lawcat.Tokenization;

namespace Lawcat.Tests.Evaluation;

[Trait("Category", "Evals")]
public class ChatTemplateTests
{
    // Llama 3's special token ids: <|begin_of_text|>, <|start_header_id|>, <|end_header_id|>, <|eot_id|>.
    const int BeginOfText = 128000, StartHeader = 128006, EndHeader = 128007, EndOfTurn = 128009;

    /// <summary>A model folder with the Llama 3 tokenizer and a tokenizer_config.json whose chat_template is <paramref name="template"/>.</summary>
    static string FolderWithTemplate(JsonNode? template)
    {
        var folder = TestPaths.NewTempDir();
        File.Copy(TokenizerFiles.Llama3Json, Path.Combine(folder, "tokenizer.json"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TokenizerFiles.Llama3Folder, "tokenizer_config.json")))!.AsObject();
        config["chat_template"] = template;
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        return folder;
    }

    [Fact]
    public void Llama3sTemplateRendersOneUserTurnAfterTheSystemTurn()
    {
        // The Llama 3 tokenizer's own template: bos, then each message as a header, its trimmed content and <|eot_id|>,
        // then the assistant's header.
        var chat = ChatTemplate.FromModelFolder(TokenizerFiles.Llama3Folder, "You are a helpful AI assistant.");
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful AI assistant.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhere is the milk?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            chat.Render("Where is the milk? "));
    }

    [Fact]
    public void EncodingKeepsTheTemplatesSpecialTokensAndAddsNoSecondBos()
    {
        var tok = BpeTokenizer.FromModelFolder(TokenizerFiles.Llama3Folder);
        var chat = ChatTemplate.FromModelFolder(TokenizerFiles.Llama3Folder, "Be brief.");
        var ids = chat.Encode(tok, "Where is the milk?");
        Assert.Equal(new[] { BeginOfText, StartHeader }, ids.Take(2));
        Assert.Equal(1, ids.Count(i => i == BeginOfText));
        Assert.Equal(2, ids.Count(i => i == EndOfTurn));
        Assert.Equal(3, ids.Count(i => i == StartHeader));
        Assert.Equal(EndHeader, ids[^2]);
        Assert.Equal("\n\n", tok.Decode(ids.Skip(ids.Count - 1)));
        Assert.Contains(EndOfTurn, EvalRunner.Stops(tok, chat));
    }

    [Fact]
    public void Llama31And32TemplatesOpenTheSystemTurnWithTheirDatePreamble()
    {
        var folder = FolderWithTemplate("{{- bos_token }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}<|start_header_id|><|eot_id|>");
        var rendered = ChatTemplate.FromModelFolder(folder, "You are a helpful AI assistant.").Render("Q");
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
            "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a helpful AI assistant.<|eot_id|>", rendered);
    }

    [Fact]
    public void AnotherFormatOrNoTemplateIsAnErrorNamingTheFile()
    {
        var chatMl = FolderWithTemplate("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}");
        var e = Assert.Throws<LawcatException>(() => ChatTemplate.FromModelFolder(chatMl, "x"));
        Assert.Contains(Path.Combine(chatMl, "tokenizer_config.json"), e.Message);
        Assert.Contains("Llama 3", e.Message);
        var none = Assert.Throws<LawcatException>(() => ChatTemplate.FromModelFolder(Path.Combine(TestPaths.Root, DataFiles.TinyTeacherFolder), "x"));
        Assert.Contains("no chat_template", none.Message);
    }
}
