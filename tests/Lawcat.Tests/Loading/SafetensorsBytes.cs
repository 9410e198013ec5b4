using System.Text;

namespace Lawcat.Tests.Loading;

/// <summary>Safetensors files written byte by byte, so tests control every field of the header.</summary>
static class SafetensorsBytes
{
    /// <summary>The 8-byte little-endian length, <paramref name="header"/> as UTF-8 and <paramref name="data"/>.</summary>
    public static byte[] Build(string header, byte[] data) => Build(Encoding.UTF8.GetBytes(header), data);

    /// <summary>The 8-byte little-endian length, the raw header bytes and <paramref name="data"/>.</summary>
    public static byte[] Build(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BitConverter.GetBytes((long)header.Length).CopyTo(bytes, 0);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Writes the file into a new temporary folder; returns its path.</summary>
    public static string WriteTemp(byte[] bytes, string name = "model.safetensors")
    {
        var path = Path.Combine(TestPaths.NewTempDir(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary><paramref name="count"/> bytes 0, 1, 2, ... (mod 256), so every tensor's bytes are distinct from its neighbours'.</summary>
    public static byte[] Counting(int count) => Enumerable.Range(0, count).Select(i => (byte)i).ToArray();
}
