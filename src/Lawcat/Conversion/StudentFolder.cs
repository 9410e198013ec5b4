using System.Text.Json.Nodes;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Conversion;

/// <summary>
/// Model folders that may hold a LAWCAT student: a plain Llama folder, or one whose config.json carries a
/// <c>lawcat</c> section (<see cref="LawcatConversion.ConfigSection"/>) describing its LAWCAT layers. Llama knows
/// nothing of LAWCAT; this is the <see cref="IModelFolderExtension"/> that rebuilds and describes those layers, so
/// every load of a folder that may be a student goes through here.
/// </summary>
public sealed class StudentFolder : IModelFolderExtension
{
    /// <summary>The config.json <c>model_type</c> of a student exported for Hugging Face transformers.</summary>
    public const string ExportedModelType = "lawcat_llama";

    /// <summary>The extension to pass where a Llama API takes one.</summary>
    public static StudentFolder Extension { get; } = new();

    StudentFolder() { }

    /// <summary>
    /// Loads the model folder <paramref name="folder"/> (<see cref="LlamaModel.FromPretrained"/>); a student's comes back
    /// converted, with its LAWCAT weights.
    /// </summary>
    public static LlamaModel Load(string folder, ScalarType? dtype = null, Device? device = null) =>
        LlamaModel.FromPretrained(folder, dtype, device, Extension);

    /// <summary>Writes <paramref name="model"/> to <paramref name="folder"/>, its LAWCAT layers (if any) described in a <c>lawcat</c> config section.</summary>
    public static void Save(LlamaModel model, string folder) => model.SavePretrained(folder, Extension);

    /// <summary>The Llama config of a model folder (or config.json) that may hold a student.</summary>
    public static LlamaConfig Config(string path) => LlamaConfig.FromFile(path, Extension);

    string IModelFolderExtension.ModelType => ExportedModelType;

    void IModelFolderExtension.CheckConfig(JsonObject config, string source)
    {
        if (config[LawcatConversion.ConfigSection] is not JsonObject)
            throw new LawcatException($"{source}: model_type is '{ExportedModelType}' but there is no '{LawcatConversion.ConfigSection}' section describing its LAWCAT layers.");
    }

    void IModelFolderExtension.Build(LlamaModel model, JsonObject config, string source)
    {
        if (config[LawcatConversion.ConfigSection] is JsonObject section)
            LawcatConversion.FromConfigSection(model, section, source);
    }

    void IModelFolderExtension.Describe(LlamaModel model, JsonObject config)
    {
        if (LawcatConversion.LawcatLayers(model).Any())
            config[LawcatConversion.ConfigSection] = LawcatConversion.ToConfigSection(model);
    }
}
