namespace Lawcat.Evaluation;

/// <summary>The bAbI tasks BABILong's qa2 and qa3 are built from.</summary>
public enum BabiTask
{
    /// <summary>Task 2, "two supporting facts": "Where is the milk?"</summary>
    Qa2,

    /// <summary>Task 3, "three supporting facts": "Where was the milk before the office?"</summary>
    Qa3,
}
