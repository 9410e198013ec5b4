using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Conversion;
using Lawcat.IO;
using Lawcat.Llama;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Export;

/// <summary>
/// Writes a LAWCAT student as a folder Hugging Face transformers loads with
/// <c>AutoModelForCausalLM.from_pretrained(dir, trust_remote_code=True)</c>: config.json (model_type
/// <see cref="ModelType"/>, an <c>auto_map</c> to the modeling files, the <c>lawcat</c> section with the options and the
/// layers kept as softmax), model.safetensors (LoRA merged; parameter names as the workbench's, which are HF Llama's
/// plus LAWCAT's), the PyTorch modeling files (<see cref="ModelingFiles"/>, kept in this assembly) and the tokenizer
/// files. <see cref="StudentFolder.Load"/> reads the same folder back.
/// </summary>
public static class HfExport
{
    /// <summary>The config.json <c>model_type</c> of an exported student.</summary>
    public const string ModelType = StudentFolder.ExportedModelType;

    /// <summary>The PyTorch files the export writes beside the weights (src/Lawcat/Export/hf).</summary>
    public static IReadOnlyList<string> ModelingFiles { get; } = new[] { "configuration_lawcat.py", "modeling_lawcat.py", "lawcat_attention.py" };

    /// <summary>Tokenizer and generation files copied from the teacher folder when present.</summary>
    public static IReadOnlyList<string> TokenizerFiles { get; } = new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" };

    /// <summary>The text of one of <see cref="ModelingFiles"/>.</summary>
    public static string ModelingFile(string name)
    {
        using var stream = typeof(HfExport).Assembly.GetManifestResourceStream("Lawcat.Export.hf." + name)
            ?? throw new LawcatException($"modeling file '{name}' is not one of {string.Join(", ", ModelingFiles)}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Merges any LoRA adapters into <paramref name="student"/> and writes the folder; tokenizer files come from
    /// <paramref name="tokenizerFolder"/> (null: none). Every file goes through a temporary file renamed into place.
    /// </summary>
    public static void Write(LlamaModel student, string folder, string? tokenizerFolder)
    {
        if (!LawcatConversion.LawcatLayers(student).Any())
            throw new LawcatException("the model has no LAWCAT layers: export --format hf writes distilled students (pass --student CHECKPOINT).");
        Lora.Merge(student);
        Directory.CreateDirectory(folder);
        SafetensorsFile.Write(Path.Combine(folder, "model.safetensors"), student.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
        WriteText(Path.Combine(folder, "config.json"), Config(student).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var name in ModelingFiles) WriteText(Path.Combine(folder, name), ModelingFile(name));
        if (tokenizerFolder is not null) CopyTokenizerFiles(tokenizerFolder, folder);
    }

    /// <summary>The config.json of an exported student: its Llama config, what transformers needs to find the code, and the <c>lawcat</c> section.</summary>
    public static JsonObject Config(LlamaModel student)
    {
        var config = JsonNode.Parse(student.Config.ToJson())!.AsObject();
        config["architectures"] = new JsonArray("LawcatForCausalLM");
        config["model_type"] = ModelType;
        config["auto_map"] = new JsonObject
        {
            ["AutoConfig"] = "configuration_lawcat.LawcatConfig",
            ["AutoModelForCausalLM"] = "modeling_lawcat.LawcatForCausalLM",
        };
        config["torch_dtype"] = DtypeName(student.DType);
        config["use_cache"] = true;
        config[LawcatConversion.ConfigSection] = LawcatConversion.ToConfigSection(student);
        return config;
    }

    /// <summary>Copies <see cref="TokenizerFiles"/> present in <paramref name="from"/> into <paramref name="to"/>.</summary>
    public static void CopyTokenizerFiles(string from, string to)
    {
        if (Path.GetFullPath(from) == Path.GetFullPath(to)) return;
        foreach (var name in TokenizerFiles)
        {
            var src = Path.Combine(from, name);
            if (!File.Exists(src)) continue;
            var dst = Path.Combine(to, name);
            File.Copy(src, dst + ".tmp", overwrite: true);
            File.Move(dst + ".tmp", dst, overwrite: true);
        }
    }

    static void WriteText(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };
}
