namespace Lawcat.Evaluation;

/// <summary>
/// The bAbI "basic" world of tasks 2 and 3 (<c>world_basic.txt</c>) and the sentences of the real v1.2 data
/// (measured in the evaluation notes: verbs equally likely, "there" after some pick-ups and drops).
/// </summary>
public static class BabiWorld
{
    /// <summary>The people.</summary>
    public static IReadOnlyList<string> Actors { get; } = new[] { "John", "Mary", "Sandra", "Daniel" };

    /// <summary>The locations, which are also BABILong's answer labels.</summary>
    public static IReadOnlyList<string> Locations { get; } = new[] { "bedroom", "kitchen", "garden", "hallway", "bathroom", "office" };

    /// <summary>The objects people carry.</summary>
    public static IReadOnlyList<string> Objects { get; } = new[] { "apple", "football", "milk" };

    /// <summary>Verb phrases of a move ("X went back to the L.").</summary>
    public static IReadOnlyList<string> MoveVerbs { get; } = new[] { "went to", "went back to", "journeyed to", "travelled to", "moved to" };

    /// <summary>Verbs of a pick-up ("X picked up the O there.").</summary>
    public static IReadOnlyList<string> GetVerbs { get; } = new[] { "got", "took", "grabbed", "picked up" };

    /// <summary>Verbs of a drop ("X discarded the O.").</summary>
    public static IReadOnlyList<string> DropVerbs { get; } = new[] { "dropped", "put down", "discarded", "left" };

    /// <summary>A move sentence.</summary>
    public static string Move(string verb, string actor, string location) => $"{actor} {verb} the {location}.";

    /// <summary>A pick-up or drop sentence, with or without the closing "there".</summary>
    public static string Handle(string verb, string actor, string obj, bool there) =>
        there ? $"{actor} {verb} the {obj} there." : $"{actor} {verb} the {obj}.";

    /// <summary>The task-2 question, with bAbI's trailing space.</summary>
    public static string WhereIs(string obj) => $"Where is the {obj}? ";

    /// <summary>The task-3 question, with bAbI's trailing space.</summary>
    public static string WhereWasBefore(string obj, string location) => $"Where was the {obj} before the {location}? ";
}
