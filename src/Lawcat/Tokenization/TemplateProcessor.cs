namespace Lawcat.Tokenization;

/// <summary>
/// A <c>TemplateProcessing</c> post-processor's single-sequence template, e.g. <c>&lt;|begin_of_text|&gt; $A</c>:
/// each part is either the encoded text (null) or the ids of a special token.
/// </summary>
sealed class TemplateProcessor(IReadOnlyList<int[]?> parts)
{
    /// <summary>The ids the template yields around <paramref name="ids"/>.</summary>
    public List<int> Apply(List<int> ids)
    {
        var result = new List<int>(ids.Count + parts.Count);
        foreach (var part in parts) result.AddRange(part ?? (IEnumerable<int>)ids);
        return result;
    }

    /// <summary>The id the template puts first, when it starts with a one-id special token (a BOS).</summary>
    public int? LeadingSpecialId => parts.Count > 0 && parts[0] is { Length: 1 } first ? first[0] : null;
}
