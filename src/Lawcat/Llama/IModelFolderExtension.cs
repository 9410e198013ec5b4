using System.Text.Json.Nodes;

namespace Lawcat.Llama;

/// <summary>
/// Attention layers a model folder holds beyond plain Llama, described by a section of its config.json. Llama itself
/// builds softmax attention only; the layer that defines another kind implements this and passes it to
/// <see cref="LlamaConfig.FromFile"/>, <see cref="LlamaModel.FromPretrained"/> and <see cref="LlamaModel.SavePretrained"/>,
/// so loading such a folder goes through the code that knows its layers.
/// </summary>
public interface IModelFolderExtension
{
    /// <summary>The config.json <c>model_type</c> of such a folder exported for other tools, accepted besides <c>llama</c>.</summary>
    string ModelType { get; }

    /// <summary>Throws a <see cref="LawcatException"/> naming <paramref name="source"/> when <paramref name="config"/> says <see cref="ModelType"/> but lacks what rebuilds its layers.</summary>
    void CheckConfig(JsonObject config, string source);

    /// <summary>Replaces the attention of the freshly built <paramref name="model"/> as <paramref name="config"/> describes it, before its weights load.</summary>
    void Build(LlamaModel model, JsonObject config, string source);

    /// <summary>Adds to <paramref name="config"/> the description of the model's attention layers that <see cref="Build"/> reads back.</summary>
    void Describe(LlamaModel model, JsonObject config);
}
