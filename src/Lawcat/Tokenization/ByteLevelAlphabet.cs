using System.Text;

namespace Lawcat.Tokenization;

/// <summary>
/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode characters, used by byte-level BPE
/// so that every UTF-8 byte is a vocabulary symbol. Printable Latin-1 bytes map to themselves; the others
/// (controls, space, soft hyphen, ...) map to U+0100 onwards, in byte order.
/// </summary>
public static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = BuildByteToChar();
    static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The symbol that stands for <paramref name="b"/>.</summary>
    public static char Symbol(byte b) => ByteToChar[b];

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each written as its symbol.</summary>
    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, (chars, b) =>
        {
            for (int i = 0; i < b.Length; i++) chars[i] = ByteToChar[b[i]];
        });
    }

    /// <summary>
    /// Appends the bytes that <paramref name="token"/>'s symbols stand for. As in Hugging Face's ByteLevel decoder,
    /// a token holding any character outside the alphabet (an added token such as "a b") contributes its own
    /// UTF-8 bytes instead.
    /// </summary>
    public static void AppendBytes(string token, List<byte> output)
    {
        int start = output.Count;
        foreach (var c in token)
        {
            if (!CharToByte.TryGetValue(c, out var b))
            {
                output.RemoveRange(start, output.Count - start);
                output.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
            output.Add(b);
        }
    }

    static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            map[b] = IsPrintableLatin1(b) ? (char)b : (char)next++;
        return map;
    }

    static bool IsPrintableLatin1(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
}
