using System.Text;

namespace Lawcat.Evaluation;

/// <summary>Filler made of one string repeated, cut at a character count.</summary>
internal static class RepeatedText
{
    /// <summary>The first <paramref name="chars"/> characters of <paramref name="unit"/> repeated without end.</summary>
    public static string Prefix(string unit, int chars)
    {
        var text = new StringBuilder(chars + unit.Length);
        while (text.Length < chars) text.Append(unit);
        text.Length = chars;
        return text.ToString();
    }
}
