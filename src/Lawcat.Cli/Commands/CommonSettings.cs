using System.ComponentModel;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary>Options every model-running command takes.</summary>
class DeviceSettings : CommandSettings
{
    [CommandOption("--device <DEVICE>"), Description("cpu, cuda or cuda:N."), DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--dtype <DTYPE>"), Description("float32 or bfloat16 (weights and activations)."), DefaultValue("float32")]
    public string Dtype { get; init; } = "float32";

    [CommandOption("--kernels <POLICY>"), Description("Where LAWCAT attention runs: auto, tensor-only, cuda-cores, tensor-cores or fused (default: LAWCAT_KERNELS, else auto).")]
    public string? Kernels { get; init; }
}

/// <summary>Options of commands that run a teacher and, optionally, its distilled student.</summary>
class ModelSettings : DeviceSettings
{
    [CommandOption("--model <DIR>"), Description("Model folder (Hugging Face format). Default: the embedded tiny teacher.")]
    public string? Model { get; init; }

    [CommandOption("--student <CHECKPOINT>"), Description("A LAWCAT checkpoint (.safetensors from a distill run) to run as the student of --model.")]
    public string? Student { get; init; }

    /// <summary>The model folder: --model, else the student's recorded teacher, else the embedded tiny teacher.</summary>
    public string ModelFolder => Model ?? (Student is not null ? Distillation.StudentModel.TeacherFolderOf(Student) : DataFiles.TinyTeacher());
}
