using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat;

/// <summary>
/// The one reading of a device name, for options files, <c>--set</c> and command-line flags alike: <c>cpu</c>,
/// <c>cuda</c> or <c>cuda:N</c>.
/// </summary>
public static class DeviceNames
{
    /// <summary>
    /// <paramref name="text"/> as a device name, or a <see cref="LawcatException"/> naming <paramref name="what"/> (the
    /// flag or option it came from).
    /// </summary>
    public static string Parse(string text, string what)
    {
        if (text is "cpu" or "cuda") return text;
        if (text.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(text["cuda:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return $"cuda:{index}";
        throw new LawcatException($"{what} '{text}': expected cpu, cuda or cuda:N.");
    }

    /// <summary>The device <paramref name="text"/> names (<see cref="Parse"/>), made ready: CUDA is initialized and must be available.</summary>
    public static Device Open(string text, string what)
    {
        var name = Parse(text, what);
        if (name == "cpu") return CPU;
        // A build without CUDA throws here rather than reporting "not available"; both are the same user error.
        try { InitializeDeviceType(DeviceType.CUDA); }
        catch (InvalidOperationException)
        {
            throw new LawcatException($"{what} {name}: CUDA is not available in this build. Build with -p:LawcatBackend=torch-python (Linux) or cuda-windows, see README; or use {what} cpu.");
        }
        if (!cuda.is_available())
            throw new LawcatException($"{what} {name}: CUDA is not available here. Build with -p:LawcatBackend=torch-python (Linux) or cuda-windows, see README.");
        return device(name);
    }
}
