namespace Lawcat.Evaluation;

/// <summary>Scores a model's continuation of one sample's prompt, as the task's benchmark does.</summary>
public interface IEvalScorer
{
    /// <summary>The score from 0 (wrong) to 1 (right) of <paramref name="output"/>, the model's decoded continuation.</summary>
    double Score(EvalSample sample, string output);
}
