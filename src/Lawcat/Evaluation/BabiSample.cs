namespace Lawcat.Evaluation;

/// <summary>
/// One bAbI question with the story before it, as BABILong splits stories: every fact from the story's start up to
/// the question (earlier questions removed).
/// </summary>
/// <param name="Task">Task 2 or 3.</param>
/// <param name="Facts">The fact sentences in order ("Mary went back to the kitchen.").</param>
/// <param name="Question">The question with bAbI's trailing space ("Where is the milk? ").</param>
/// <param name="Answer">The location that answers it.</param>
/// <param name="SupportingFacts">Indices into <see cref="Facts"/> of the facts the answer rests on, as bAbI lists them
/// (the object's drop or pick-up first, then the moves, latest first).</param>
/// <param name="AboutDroppedObject">Whether the answer rests on a drop (the object lies somewhere) rather than on the
/// object being carried.</param>
public sealed record BabiSample(
    BabiTask Task,
    IReadOnlyList<string> Facts,
    string Question,
    string Answer,
    IReadOnlyList<int> SupportingFacts,
    bool AboutDroppedObject);
