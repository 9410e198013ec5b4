namespace Lawcat.IO;

/// <summary>The dtypes of the safetensors format, with their sizes in bits, as the reference implementation lists them.</summary>
static class SafetensorsDTypes
{
    static readonly Dictionary<string, int> BitsByName = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6, ["U8"] = 8, ["I8"] = 8,
        ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8, ["I16"] = 16, ["U16"] = 16, ["F16"] = 16,
        ["BF16"] = 16, ["I32"] = 32, ["U32"] = 32, ["F32"] = 32, ["C64"] = 64, ["F64"] = 64, ["I64"] = 64, ["U64"] = 64,
    };

    /// <summary>The size of one element of <paramref name="dtype"/> in bits, or null for a name the format does not define.</summary>
    public static int? Bits(string dtype) => BitsByName.TryGetValue(dtype, out var bits) ? bits : null;

    /// <summary>The defined names, for error messages.</summary>
    public static string Names => string.Join(", ", BitsByName.Keys);
}
