using System.Reflection;

namespace Lawcat.Evaluation;

/// <summary>
/// The adjective and noun lists that RULER-style needle keys are drawn from (data/wordlists in the repository, chosen
/// from WordNet 3.0; built into this assembly so no file needs finding at run time).
/// </summary>
public static class WordLists
{
    static readonly Lazy<IReadOnlyList<string>> LoadedAdjectives = new(() => Read("adjectives.txt"));
    static readonly Lazy<IReadOnlyList<string>> LoadedNouns = new(() => Read("nouns.txt"));

    /// <summary>Lowercase adjectives, sorted, no duplicates.</summary>
    public static IReadOnlyList<string> Adjectives => LoadedAdjectives.Value;

    /// <summary>Lowercase nouns, sorted, no duplicates.</summary>
    public static IReadOnlyList<string> Nouns => LoadedNouns.Value;

    static IReadOnlyList<string> Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Lawcat.Wordlists." + name)
            ?? throw new InvalidOperationException($"word list {name} is not embedded in the Lawcat assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
