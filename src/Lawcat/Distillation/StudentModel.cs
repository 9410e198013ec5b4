using Lawcat.Conversion;
using Lawcat.Llama;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>
/// A distilled student is its teacher folder plus a LAWCAT checkpoint (the tensors the distillation changed or added:
/// trained ones and LAWCAT parameters frozen in stage 2). This loads one
/// back and exports it as a self-contained model folder (LoRA merged) that <see cref="StudentFolder.Load"/> reads.
/// </summary>
public static class StudentModel
{
    /// <summary>
    /// Rebuilds the student of <paramref name="checkpointPath"/>: loads the teacher (the checkpoint's, or
    /// <paramref name="teacherFolder"/>, which must be the same model), converts it and copies in the trained tensors.
    /// </summary>
    public static LlamaModel Load(string checkpointPath, string? teacherFolder = null, ScalarType? dtype = null, Device? device = null)
    {
        var (state, tensors) = Checkpoint.Load(checkpointPath);
        var options = DistillOptions.FromJson(state.Options, checkpointPath);
        var folder = teacherFolder ?? state.Teacher.Folder;
        if (!Directory.Exists(folder))
            throw new LawcatException($"{checkpointPath}: its teacher folder {folder} is not here; pass the teacher's folder (--model).");
        var identity = TeacherIdentity.Of(folder);
        if (identity.Fingerprint != state.Teacher.Fingerprint)
            throw new LawcatException($"{checkpointPath} was distilled from a different teacher than {folder} (fingerprint {state.Teacher.Fingerprint[..12]}…, this folder {identity.Fingerprint[..12]}…).");
        var model = StudentFolder.Load(folder, dtype, device);
        LawcatConversion.Convert(model, options.Lawcat, options.SoftmaxLayers);
        if (state.HasLora) Lora.Apply(model, options.Stage2.Lora);
        Checkpoint.CopyInto(model, tensors, state.Trainable.Concat(state.Frozen), checkpointPath);
        // Without this, a checkpoint lacking LAWCAT tensors would give a student with freshly initialized attention, silently.
        var stored = state.Trainable.Concat(state.Frozen).ToHashSet();
        var absent = LawcatConversion.NewParameters(model).Select(p => p.Name).Where(n => !stored.Contains(n)).ToList();
        if (absent.Count > 0)
            throw new LawcatException($"{checkpointPath}: holds no value for {absent.Count} LAWCAT parameters (e.g. {absent[0]}), so the student cannot be " +
                "rebuilt from it (stage-2 checkpoints of earlier versions lack them when stage2.train_lawcat was false); run the distillation again.");
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
        return model;
    }

    /// <summary>The teacher folder recorded in a checkpoint.</summary>
    public static string TeacherFolderOf(string checkpointPath) => Checkpoint.Load(checkpointPath).State.Teacher.Folder;

    /// <summary>
    /// Writes the student to <paramref name="folder"/> as a model folder: LoRA merged into the projections, config.json
    /// with a <c>lawcat</c> section, model.safetensors, and the tokenizer files of <paramref name="tokenizerFolder"/>.
    /// <see cref="Lawcat.Export.HfExport"/> writes the folder Hugging Face transformers loads.
    /// </summary>
    public static void Export(LlamaModel student, string folder, string? tokenizerFolder)
    {
        Lora.Merge(student);
        StudentFolder.Save(student, folder);
        if (tokenizerFolder is not null) Lawcat.Export.HfExport.CopyTokenizerFiles(tokenizerFolder, folder);
    }
}
