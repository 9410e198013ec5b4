using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Cli;

/// <summary>Process-level concerns of the command line: error reporting, device setup, Ctrl-C.</summary>
static class Cli
{
    /// <summary>Runs the app; user errors print one message (no stack trace) and exit 1, usage errors exit 2.</summary>
    public static int Run(CommandApp app, string[] args)
    {
        try { return app.Run(args); }
        catch (LawcatException e) { return Fail(e.Message, 1); }
        catch (CommandParseException e) { return Fail(e.Message, 2); }
        catch (CommandRuntimeException e) { return Fail(e.Message, 2); }
        catch (Exception e) when (Lawcat.Training.OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            // Training stages report their sizes through OutOfDeviceMemoryException (a LawcatException); this is everything else.
            return Fail("the device ran out of memory: " + FirstLine(e.Message) +
                "\nTry shorter inputs (--lengths, --seq-len), --dtype bfloat16, or --device cpu.", 1);
        }
    }

    /// <summary>Writes "error: MESSAGE" to standard error, unwrapped (a log keeps it whole), red only on a terminal.</summary>
    static int Fail(string message, int code)
    {
        bool colour = !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Ansi;
        Console.Error.WriteLine((colour ? "\x1b[31merror:\x1b[0m " : "error: ") + message);
        return code;
    }

    static string FirstLine(string s) => s.Split('\n')[0];

    /// <summary>Parses --device (<see cref="DeviceNames"/>, shared with the options files) and makes sure it is usable.</summary>
    public static Device Device(string name) => DeviceNames.Open(name, "--device");

    /// <summary>Parses --dtype (<see cref="DTypeNames"/>, shared with the options files).</summary>
    public static ScalarType DType(string name) => DTypeNames.Parse(name, "--dtype");

    /// <summary>A token that is cancelled on Ctrl-C (the first press; a second one kills the process as usual).</summary>
    public static CancellationToken CtrlC()
    {
        var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler? handler = null;
        handler = (_, e) =>
        {
            e.Cancel = true;
            AnsiConsole.MarkupLine("[yellow]Ctrl-C: finishing the current step and saving a checkpoint (press again to abort).[/]");
            cts.Cancel();
            Console.CancelKeyPress -= handler;
        };
        Console.CancelKeyPress += handler;
        return cts.Token;
    }

    /// <summary>Parses a comma list of lengths like "512,1k,2k" (k = <paramref name="kilo"/>, 1024 unless a benchmark names
    /// its lengths in thousands) given to <paramref name="option"/>.</summary>
    public static int[] Lengths(string text, string option, int kilo = 1024) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x =>
        {
            var k = x.EndsWith("k", StringComparison.OrdinalIgnoreCase);
            if (!double.TryParse(k ? x[..^1] : x, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) || v < 0)
                throw new LawcatException($"{option}: '{x}' is not a length (e.g. 512, 1k, 2k).");
            return (int)(k ? v * kilo : v);
        }).ToArray();

    /// <summary>A count in thousands, millions or billions with three significant digits (3.28 million), or as is below 1,000.</summary>
    public static string Count(double n)
    {
        var (value, unit) = Math.Abs(n) switch
        {
            >= 1e9 => (n / 1e9, " billion"),
            >= 1e6 => (n / 1e6, " million"),
            >= 1e3 => (n / 1e3, " thousand"),
            _ => (n, ""),
        };
        var digits = Math.Abs(value) >= 100 || unit == "" ? "F0" : Math.Abs(value) >= 10 ? "F1" : "F2";
        return value.ToString(digits, System.Globalization.CultureInfo.InvariantCulture) + unit;
    }

    /// <summary>Human-readable bytes.</summary>
    public static string Bytes(double b) => b switch
    {
        >= 1L << 30 => $"{b / (1L << 30):F2} GiB",
        >= 1L << 20 => $"{b / (1L << 20):F1} MiB",
        >= 1L << 10 => $"{b / (1L << 10):F1} KiB",
        _ => $"{b:F0} B",
    };
}
