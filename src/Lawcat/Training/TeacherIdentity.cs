using System.Security.Cryptography;

namespace Lawcat.Training;

/// <summary>
/// What identifies a teacher model folder without hashing gigabytes: a SHA-256 over its config.json and, for each
/// weight file, its name, size and first and last mebibyte.
/// </summary>
/// <param name="Folder">Where the teacher was loaded from (informational).</param>
/// <param name="Fingerprint">The hash.</param>
public sealed record TeacherIdentity(string Folder, string Fingerprint)
{
    const int Edge = 1 << 20;

    /// <summary>The identity of the model folder <paramref name="folder"/>.</summary>
    public static TeacherIdentity Of(string folder)
    {
        using var sha = SHA256.Create();
        void Add(byte[] b) => sha.TransformBlock(b, 0, b.Length, null, 0);
        Add(File.ReadAllBytes(Path.Combine(folder, "config.json")));
        foreach (var file in Directory.GetFiles(folder, "*.safetensors").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
        {
            using var fs = File.OpenRead(file);
            Add(System.Text.Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}:{fs.Length}"));
            Add(ReadAt(fs, 0, (int)Math.Min(Edge, fs.Length)));
            Add(ReadAt(fs, Math.Max(0, fs.Length - Edge), (int)Math.Min(Edge, fs.Length)));
        }
        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return new TeacherIdentity(Path.GetFullPath(folder), Convert.ToHexString(sha.Hash!).ToLowerInvariant());
    }

    static byte[] ReadAt(FileStream fs, long offset, int count)
    {
        var buf = new byte[count];
        fs.Position = offset;
        fs.ReadExactly(buf);
        return buf;
    }
}
