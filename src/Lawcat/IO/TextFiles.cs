namespace Lawcat.IO;

/// <summary>Text files written whole: a reader, or a run interrupted while writing, never sees half of one.</summary>
public static class TextFiles
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> through a temporary file, so the file is either old or whole.</summary>
    public static void WriteWhole(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
