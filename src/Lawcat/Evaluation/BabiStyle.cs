namespace Lawcat.Evaluation;

/// <summary>
/// How the actions of a generated bAbI story are drawn and written for one task, set so that the sentence mix matches
/// the real v1.2 data measured in the evaluation notes. Which questions are asked is not a matter of style: bAbI's rule
/// (<see cref="BabiStory"/>) decides it.
/// </summary>
/// <param name="MoveWeight">Relative chance of trying a move; moves are always possible, pick-ups and drops often
/// not, so the weights are set for the real mix of sentences (about 64% moves, 20% pick-ups, 16% drops).</param>
/// <param name="GetWeight">Relative chance of trying a pick-up.</param>
/// <param name="DropWeight">Relative chance of trying a drop.</param>
/// <param name="GetThere">Share of pick-ups written with a closing "there" (real: all in task 2, 20% in task 3).</param>
/// <param name="DropThere">Share of drops written with a closing "there" (real: 20-21%).</param>
internal sealed record BabiStyle(double MoveWeight, double GetWeight, double DropWeight, double GetThere, double DropThere)
{
    public static BabiStyle For(BabiTask task) => task switch
    {
        BabiTask.Qa2 => new(MoveWeight: 0.50, GetWeight: 0.30, DropWeight: 0.20, GetThere: 1.0, DropThere: 0.20),
        _ => new(MoveWeight: 0.50, GetWeight: 0.28, DropWeight: 0.22, GetThere: 0.20, DropThere: 0.21),
    };
}
