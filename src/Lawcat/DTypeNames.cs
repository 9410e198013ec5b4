using static TorchSharp.torch;

namespace Lawcat;

/// <summary>
/// The one reading of a weight dtype name, for options files, <c>--set</c> and command-line flags alike:
/// <c>float32</c> (or <c>fp32</c>) and <c>bfloat16</c> (or <c>bf16</c>).
/// </summary>
public static class DTypeNames
{
    /// <summary>The dtype <paramref name="text"/> names, or a <see cref="LawcatException"/> naming <paramref name="what"/> (the flag or option it came from).</summary>
    public static ScalarType Parse(string text, string what) => text switch
    {
        "float32" or "fp32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        _ => throw new LawcatException($"{what} '{text}': expected float32 or bfloat16."),
    };

    /// <summary>The name options files store for <paramref name="dtype"/> (<c>float32</c> or <c>bfloat16</c>).</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "options store float32 or bfloat16 only"),
    };

    /// <summary><paramref name="text"/> as the name options files store (<c>bf16</c> becomes <c>bfloat16</c>).</summary>
    public static string Normalize(string text, string what) => Name(Parse(text, what));
}
