using System.Globalization;
using System.Text;

namespace Lawcat.Tokenization;

/// <summary>
/// The character classes of Hugging Face's pre-tokenizer regexes, decided per code point (not per UTF-16 unit,
/// which would make astral letters such as 𝔘 look like two non-letters).
/// </summary>
static class UnicodeClasses
{
    /// <summary>
    /// The code point starting at <paramref name="i"/> and its width in UTF-16 units; a lone surrogate reads as
    /// U+FFFD, as it does once written as UTF-8.
    /// </summary>
    public static Rune At(string s, int i, out int width)
    {
        char c = s[i];
        if (!char.IsSurrogate(c)) { width = 1; return new Rune(c); }
        Rune.DecodeFromUtf16(s.AsSpan(i), out var r, out width);
        return r;
    }

    /// <summary>\p{L}: Lu, Ll, Lt, Lm, Lo.</summary>
    public static bool IsLetter(Rune r) => Rune.GetUnicodeCategory(r) <= UnicodeCategory.OtherLetter;

    /// <summary>\p{N}: Nd, Nl, No.</summary>
    public static bool IsNumber(Rune r) => Rune.GetUnicodeCategory(r) is >= UnicodeCategory.DecimalDigitNumber and <= UnicodeCategory.OtherNumber;

    /// <summary>
    /// \s of Oniguruma and of Rust's regex: Unicode White_Space (tab to carriage return, NEL, the Zs, Zl and Zp
    /// categories), which is also what .NET calls white space.
    /// </summary>
    public static bool IsWhiteSpace(Rune r) => Rune.IsWhiteSpace(r);

    /// <summary>[^\s\p{L}\p{N}]: punctuation, symbols, marks, controls and the like.</summary>
    public static bool IsOther(Rune r) => !IsWhiteSpace(r) && !IsLetter(r) && !IsNumber(r);

    /// <summary>
    /// Rust regex's \w (Alphabetic, marks, decimal digits, connector punctuation, joiners), used by Hugging Face for
    /// single-word added tokens. Alphabetic is approximated by letters, letter numbers and the circled/squared
    /// Latin letters, which covers its Other_Alphabetic symbols; its other members are marks, already included.
    /// </summary>
    public static bool IsWordCharacter(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        return cat <= UnicodeCategory.EnclosingMark || cat is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
            or UnicodeCategory.ConnectorPunctuation
            || r.Value is 0x200C or 0x200D or >= 0x24B6 and <= 0x24E9 or >= 0x1F130 and <= 0x1F149
                or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;
    }
}
