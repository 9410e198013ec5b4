using SkiaSharp;

namespace Lawcat.Tests.Notebooks;

/// <summary>Checks that a file is a real picture: a decodable PNG of a reasonable size that is not one flat colour.</summary>
public static class PngAssert
{
    /// <summary>Fails unless <paramref name="path"/> decodes as a PNG of at least 200 × 150 with at least 1% of its pixels unlike the most common colour.</summary>
    public static void NonTrivial(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', $"{path} is not a PNG file");
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.True(bitmap is not null, $"{path} does not decode as an image");
        Assert.True(bitmap.Width >= 200 && bitmap.Height >= 150, $"{path} is only {bitmap.Width}×{bitmap.Height}");
        var counts = bitmap.Pixels.GroupBy(p => p).Select(g => g.Count()).OrderDescending().ToList();
        double other = 1 - (double)counts[0] / bitmap.Pixels.Length;
        Assert.True(other >= 0.01, $"{path} is (almost) one flat colour: {other:P2} of its pixels differ from the most common one");
    }
}
