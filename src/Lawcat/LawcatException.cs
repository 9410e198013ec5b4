namespace Lawcat;

/// <summary>
/// An error caused by the user's input (a file, a key, an argument), with a message that names it and says
/// what was expected. The command line prints the message alone, without a stack trace, and exits non-zero.
/// </summary>
public class LawcatException : Exception
{
    /// <summary>Creates the error with a message that names the bad input.</summary>
    public LawcatException(string message, Exception? inner = null) : base(message, inner) { }
}
