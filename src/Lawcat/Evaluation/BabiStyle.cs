namespace Lawcat.Evaluation;

/// <summary>
/// The knobs that make generated bAbI stories look like the real v1.2 data of one task. The values were tuned on 2,000
/// generated stories against the measurements in the evaluation notes (sentence mix, share of questions about dropped
/// objects, repeated questions, facts before a question); the tests keep the dropped share in check.
/// </summary>
/// <param name="MoveWeight">Relative chance of trying a move; moves are always possible, pick-ups and drops often
/// not, so the weights are set for the real mix of sentences (about 64% moves, 20% pick-ups, 16% drops).</param>
/// <param name="GetWeight">Relative chance of trying a pick-up.</param>
/// <param name="DropWeight">Relative chance of trying a drop.</param>
/// <param name="GetThere">Share of pick-ups written with a closing "there" (real: all in task 2, 20% in task 3).</param>
/// <param name="DropThere">Share of drops written with a closing "there" (real: 20-21%).</param>
/// <param name="HeldQuestionChance">Chance of asking about a carried object when nothing dropped can be asked about;
/// sets the share of questions resting on a drop (real: 69% in task 2, 79% in task 3).</param>
/// <param name="AskChance">Chance of asking a new question when one can be asked (sets the story length).</param>
/// <param name="RepeatChance">Chance that the next question repeats the last one (real: 42% / 32% of questions).</param>
/// <param name="LatestChance">Task 3: chance of asking about the place an object reached last rather than an earlier
/// one of the same carry.</param>
internal sealed record BabiStyle(
    double MoveWeight, double GetWeight, double DropWeight,
    double GetThere, double DropThere,
    double HeldQuestionChance, double AskChance, double RepeatChance, double LatestChance)
{
    public static BabiStyle For(BabiTask task) => task switch
    {
        BabiTask.Qa2 => new(MoveWeight: 0.50, GetWeight: 0.30, DropWeight: 0.20, GetThere: 1.0, DropThere: 0.20,
            HeldQuestionChance: 0.45, AskChance: 1.0, RepeatChance: 0.32, LatestChance: 1.0),
        _ => new(MoveWeight: 0.50, GetWeight: 0.28, DropWeight: 0.22, GetThere: 0.20, DropThere: 0.21,
            HeldQuestionChance: 0.20, AskChance: 0.55, RepeatChance: 0.34, LatestChance: 0.3),
    };
}
