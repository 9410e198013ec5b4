using System.Runtime.InteropServices;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static System.FormattableString;
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
        catch (UsageException e) { return Fail(e.Message, 2); }
        catch (Exception e) when (Lawcat.Training.OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            // Training stages report their sizes through OutOfDeviceMemoryException (a LawcatException); this is everything else.
            return Fail("the device ran out of memory: " + FirstLine(e.Message) +
                "\nTry shorter inputs (--lengths, --seq-len), --dtype bfloat16, or --device cpu.", 1);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException && !IsDebug)
        {
            // A folder that cannot be written (permissions, a full disk, a read-only mount): the runtime's message names the path.
            return Fail($"cannot write or read a file: {FirstLine(e.Message)}", 1);
        }
        catch (Exception e) when (!IsDebug)
        {
            return Fail($"internal error ({e.GetType().Name}): {FirstLine(e.Message)} (rerun with LAWCAT_DEBUG=1 for the stack trace)", 1);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return Fail($"internal error ({e.GetType().Name}): {FirstLine(e.Message)}", 1);
        }
    }

    /// <summary>LAWCAT_DEBUG=1: unexpected errors print their stack trace.</summary>
    static bool IsDebug => Environment.GetEnvironmentVariable("LAWCAT_DEBUG") is { Length: > 0 } v && v != "0";

    /// <summary>Writes "error: MESSAGE" to standard error, unwrapped (a log keeps it whole), red only on a terminal.</summary>
    static int Fail(string message, int code)
    {
        WriteLabelled("error", 31, message);
        return code;
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();

    /// <summary>Writes "warning: MESSAGE" to standard error, unwrapped (a log keeps it whole), yellow only on a terminal; the command goes on.</summary>
    public static void Warn(string message) => WriteLabelled("warning", 33, message);

    /// <summary>"LABEL: MESSAGE" on standard error, the label in the ANSI colour <paramref name="colour"/> only on a terminal.</summary>
    static void WriteLabelled(string label, int colour, string message)
    {
        bool ansi = !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Ansi;
        Console.Error.WriteLine((ansi ? $"\x1b[{colour}m{label}:\x1b[0m " : $"{label}: ") + message);
    }

    /// <summary>Parses --device (<see cref="DeviceNames"/>, shared with the options files) and makes sure it is usable.</summary>
    public static Device Device(string name) => DeviceNames.Open(name, "--device");

    /// <summary>Parses --dtype (<see cref="DTypeNames"/>, shared with the options files).</summary>
    public static ScalarType DType(string name) => DTypeNames.Parse(name, "--dtype");

    /// <summary>Kept for the process's life: a collected registration stops handling the signal.</summary>
    static PosixSignalRegistration? _sigterm;

    /// <summary>A token that is cancelled on Ctrl-C or SIGTERM (the first one; a second one kills the process as usual).</summary>
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
        // SIGTERM (timeout, container stops, schedulers) stops the same way; a second one ends the process as usual.
        try
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                AnsiConsole.MarkupLine("[yellow]SIGTERM: finishing the current step and saving a checkpoint (send it again to abort).[/]");
                cts.Cancel();
                _sigterm?.Dispose();
            });
        }
        catch (PlatformNotSupportedException) { }
        return cts.Token;
    }

    /// <summary>The longest prompt length or generation (tokens) a command accepts: 1,048,576 (1M), past any model this workbench runs.</summary>
    public const int MaxTokens = 1 << 20;

    /// <summary>Parses a comma list of lengths like "512,1k,2k" (k = <paramref name="kilo"/>, 1024 unless a benchmark names
    /// its lengths in thousands) given to <paramref name="option"/>; each must be a whole number of tokens from 0 to <see cref="MaxTokens"/>.</summary>
    public static int[] Lengths(string text, string option, int kilo = 1024) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x =>
        {
            var k = x.EndsWith("k", StringComparison.OrdinalIgnoreCase);
            if (!double.TryParse(k ? x[..^1] : x, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
                || !double.IsFinite(v) || v < 0)
                throw new LawcatException($"{option}: '{x}' is not a length (e.g. 512, 1k, 2k).");
            // Checked before the cast: an unchecked (int) of 3e9 wraps, and a huge length would be allocated as asked.
            var tokens = k ? v * kilo : v;
            if (tokens > MaxTokens)
                throw new LawcatException(Invariant($"{option}: '{x}' is {tokens:0.###} tokens; the most this accepts is {MaxTokens:N0} (1M)."));
            if (tokens != Math.Floor(tokens))
                throw new LawcatException(Invariant($"{option}: '{x}' is {tokens:0.###} tokens; expected a whole number of tokens."));
            return (int)tokens;
        }).ToArray();

    /// <summary>A --max-new-tokens value <paramref name="n"/> given to <paramref name="option"/>, checked: 1 to <see cref="MaxTokens"/>.</summary>
    public static int CheckedNewTokens(int n, string option = "--max-new-tokens") =>
        n is >= 1 and <= MaxTokens ? n : throw new LawcatException(Invariant($"{option} {n}: expected 1 to {MaxTokens:N0} tokens."));

    /// <summary>Warns that <paramref name="what"/> goes past the model's context when <paramref name="promptTokens"/> plus
    /// <paramref name="newTokens"/> exceed <paramref name="context"/> (its max_position_embeddings), saying <paramref name="consequence"/>.</summary>
    public static void WarnPastContext(int promptTokens, int newTokens, int context, string what, string consequence = "outputs past it are unreliable.")
    {
        long total = (long)promptTokens + newTokens;
        if (total > context)
            Warn(Invariant($"{what}: {promptTokens:N0} prompt tokens + {newTokens:N0} new tokens = {total:N0}, past the model's context of {context:N0} ") +
                "(max_position_embeddings in config.json); " + consequence);
    }

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
