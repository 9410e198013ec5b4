using System.ComponentModel;
using Lawcat.Conversion;
using Lawcat.Llama;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat info --model DIR</c>.</summary>
sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("Model folder (config.json + safetensors).")]
        public string Model { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (s.Model == "") throw new LawcatException("--model DIR is required.");
        var c = StudentFolder.Config(s.Model);
        long parameters = c.ParameterCount();
        double bytesPerParam = c.TorchDtype switch { "float32" => 4, _ => 2 };
        long kvPerToken = 2L * c.NumHiddenLayers * c.NumKeyValueHeads * c.HeadDim;
        long lawcatState = (long)c.NumHiddenLayers * c.NumAttentionHeads * c.HeadDim * (c.HeadDim + 1) * 4 + 2L * c.NumHiddenLayers * c.NumAttentionHeads * c.HeadDim * 3 * 4;
        // Plain "key  value" lines: they fit 80 columns for any model, and a pipe keeps each on one line.
        void Row(string k, string v) => Console.WriteLine($"{k,-28} {v}");
        Row("folder", Path.GetFullPath(s.Model));
        Row("layers", c.NumHiddenLayers.ToString());
        Row("hidden / intermediate", $"{c.HiddenSize} / {c.IntermediateSize}");
        Row("heads / kv heads / head dim", $"{c.NumAttentionHeads} / {c.NumKeyValueHeads} / {c.HeadDim}");
        Row("vocabulary", c.VocabSize.ToString("N0"));
        Row("rope", $"theta {c.RopeTheta}, {c.RopeScaling.RopeType}" + (c.RopeScaling.RopeType == "default" ? "" : $" x{c.RopeScaling.Factor}"));
        Row("max positions", c.MaxPositionEmbeddings.ToString("N0"));
        Row("tied embeddings", c.TieWordEmbeddings.ToString());
        Row("saved dtype", c.TorchDtype);
        Row("parameters", $"{parameters:N0} ({Cli.Count(parameters)})");
        Row("weights in memory", $"bf16 {Cli.Bytes(parameters * 2)}, fp32 {Cli.Bytes(parameters * 4)} (as saved: {Cli.Bytes(parameters * bytesPerParam)})");
        Row("softmax KV cache", $"{Cli.Bytes(kvPerToken * 2)} per token in bf16 ({Cli.Bytes(kvPerToken * 2 * 8192)} at 8K tokens)");
        Row("LAWCAT decode state", $"{Cli.Bytes(lawcatState)} per sequence, at any length (fp32)");
        return 0;
    }
}
