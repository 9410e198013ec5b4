using System.Text;

namespace Lawcat.IO;

/// <summary>
/// Refuses bytes that are not valid UTF-8 before they are parsed as JSON: the JSON reader accepts invalid bytes
/// inside strings and only fails later, with an exception that names nothing, when the string is read.
/// </summary>
public static class StrictUtf8
{
    static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Throws a <see cref="LawcatException"/> naming <paramref name="what"/> and the first bad byte.</summary>
    public static void Check(ReadOnlySpan<byte> bytes, string what)
    {
        try { Encoding.GetCharCount(bytes); }
        catch (DecoderFallbackException e) { throw new LawcatException($"{what}: not valid UTF-8 (at byte {e.Index}).", e); }
    }
}
