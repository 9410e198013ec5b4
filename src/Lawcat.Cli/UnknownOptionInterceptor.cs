using System.Reflection;
using Spectre.Console.Cli;

namespace Lawcat.Cli;

/// <summary>
/// Refuses options a command does not have and arguments it does not take. Spectre.Console.Cli collects them as
/// "remaining arguments" and would run the command without them (a misspelled <c>--length</c> ran the default lengths);
/// its strict mode refuses them but cannot name the option meant, which this does (by edit distance).
/// </summary>
sealed class UnknownOptionInterceptor(ICommandInterceptor inner, string[] args) : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        var command = CommandPath(context.Name);
        foreach (var group in context.Remaining.Parsed)
        {
            var given = group.Key;
            throw new UsageException($"unknown option '{given}' for '{command}'; {Suggestion(given, OptionNames(settings.GetType()))}");
        }
        if (context.Remaining.Raw.Count > 0)
            throw new UsageException($"unexpected argument '{context.Remaining.Raw[0]}' for '{command}'; see lawcat {command} --help.");
        inner.Intercept(context, settings);
    }

    public void InterceptResult(CommandContext context, CommandSettings settings, ref int result) => inner.InterceptResult(context, settings, ref result);

    /// <summary>The command as typed, e.g. "eval passkey": the arguments up to the command's own name.</summary>
    string CommandPath(string name)
    {
        var words = new List<string>();
        foreach (var a in args)
        {
            if (a.StartsWith('-')) break;
            words.Add(a);
            if (a == name) return string.Join(' ', words);
        }
        return name;
    }

    /// <summary>Every long option of a settings type, e.g. "--lengths".</summary>
    static List<string> OptionNames(Type settings) =>
        settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .Where(a => a is not null)
            .SelectMany(a => a!.LongNames.Select(n => "--" + n))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>"did you mean '--x'?" for the closest valid option, or the list of valid ones when none is close.</summary>
    static string Suggestion(string given, IReadOnlyList<string> valid) =>
        Training.OptionsIO.Closest(given, valid) is { } closest ? $"did you mean '{closest}'?"
        : valid.Count == 0 ? "it takes no options." : $"its options are {string.Join(", ", valid)}.";
}

/// <summary>The command line itself is wrong (an unknown option, a stray argument): exit code 2, as for Spectre's own parse errors.</summary>
sealed class UsageException(string message) : Exception(message);
