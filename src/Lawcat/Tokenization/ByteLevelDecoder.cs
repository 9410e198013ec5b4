using System.Text;

namespace Lawcat.Tokenization;

/// <summary>The <c>ByteLevel</c> decoder: byte-level symbols back to bytes, then UTF-8 with U+FFFD for invalid sequences.</summary>
static class ByteLevelDecoder
{
    /// <summary>
    /// The text of <paramref name="tokens"/>. .NET replaces each maximal invalid UTF-8 subsequence by one U+FFFD,
    /// as Rust's <c>String::from_utf8_lossy</c> (which Hugging Face calls) does.
    /// </summary>
    public static string Decode(IEnumerable<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens) ByteLevelAlphabet.AppendBytes(token, bytes);
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }
}
