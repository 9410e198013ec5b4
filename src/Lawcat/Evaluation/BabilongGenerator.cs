using System.Globalization;
using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>
/// BABILong qa2 / qa3 (<c>booydar/babilong</c>): a generated bAbI sample (<see cref="BabiStories"/>) whose facts are
/// scattered, in order, between background sentences (<see cref="BackgroundSentences"/>), inside BABILong's default
/// prompt (<see cref="BabilongPrompts"/>); scored by <see cref="BabilongLabelScorer"/>.
/// <para>
/// Length: BABILong sizes facts plus background to L − 300 GPT-2 tokens for its "L" split, the 300 standing for the
/// prompt around them. Here the whole prompt is sized in the evaluated model's tokens instead, so a target of 4000
/// gives a 4000-token prompt (within <see cref="LengthTolerance"/>); as there, the last background sentence is cut to
/// fit and a target of 0 means no background at all. Stories with more than L/8 facts are redrawn (BABILong's filter),
/// as are stories whose facts alone do not fit.
/// </para>
/// <para>
/// Placement: each fact goes into a gap between background sentences chosen uniformly (with repeats, kept in order),
/// as BABILong places them; there is no depth control.
/// </para>
/// </summary>
public sealed class BabilongGenerator : IEvalGenerator
{
    /// <summary>A prompt falls short of its target by at most this many tokens (one more background character is over it).</summary>
    public const int LengthTolerance = 3;

    /// <summary>BABILong keeps samples with at most one fact per this many tokens of the target.</summary>
    public const int TokensPerFact = 8;

    /// <summary>The lengths LAWCAT reports for BABILong (0K to 16K).</summary>
    public static IReadOnlyList<int> StandardLengths { get; } = new[] { 0, 1000, 2000, 4000, 8000, 16000 };

    /// <summary>Stories tried before a target is declared too short for the task.</summary>
    const int MaxAttempts = 200;

    readonly BabiTask _task;
    readonly int _seed;

    /// <summary>A generator for <paramref name="task"/> whose samples are fixed by <paramref name="seed"/> and their index.</summary>
    public BabilongGenerator(BabiTask task, int seed)
    {
        _task = task;
        _seed = seed;
    }

    /// <inheritdoc/>
    public string Task => _task == BabiTask.Qa2 ? EvalTask.BabilongQa2 : EvalTask.BabilongQa3;

    /// <summary>
    /// Sample <paramref name="index"/>. Its story, background and fact positions depend only on the seed and the index,
    /// so where a story fits several lengths, it is the same story with more or less background.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="depth"/> is not null: BABILong has no depth.</exception>
    /// <exception cref="LawcatException">No story fits <paramref name="targetTokens"/>.</exception>
    public EvalSample Generate(ITokenizer tok, int targetTokens, double? depth, int index)
    {
        if (depth != null) throw new ArgumentException("BABILong spreads facts uniformly and takes no depth", nameof(depth));
        var shortest = int.MaxValue;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var babi = BabiStories.Sample(_task, SeededRandom.For(_seed, index, SeededRandom.Stream(Task), attempt));
            if (targetTokens > 0 && babi.Facts.Count > targetTokens / TokensPerFact) continue;
            var layout = new Layout(babi, SeededRandom.For(_seed, index, SeededRandom.Stream("babilong-background")), targetTokens);
            var fit = targetTokens == 0 ? WithoutBackground(layout, tok)
                : LengthSearch.Largest(layout.Compose, c => c.Prompt, tok, targetTokens, probe: 2000);
            shortest = Math.Min(shortest, fit.Tokens);
            if (targetTokens == 0 || fit.Tokens <= targetTokens) return ToSample(babi, fit, targetTokens, index);
        }
        var why = shortest == int.MaxValue
            ? $"none of {MaxAttempts} stories had at most {targetTokens / TokensPerFact} facts"
            : $"the shortest prompt without background took {shortest} tokens";
        throw new LawcatException($"no {Task} story fits {targetTokens} tokens: {why}; ask for a longer target (or 0 for no background)");
    }

    static LengthSearch.Fit<Composition> WithoutBackground(Layout layout, ITokenizer tok)
    {
        var composition = layout.Compose(0);
        return new LengthSearch.Fit<Composition>(0, composition, tok.Encode(composition.Prompt).Count);
    }

    EvalSample ToSample(BabiSample babi, LengthSearch.Fit<Composition> fit, int targetTokens, int index)
    {
        var c = fit.Draft;
        var inv = CultureInfo.InvariantCulture;
        return new EvalSample(Task, _seed, index, c.Prompt, new[] { babi.Answer }, targetTokens, fit.Tokens, null,
            new Dictionary<string, string>
            {
                ["question"] = babi.Question,
                ["facts"] = string.Join("\n", babi.Facts),
                ["supporting_facts"] = string.Join(",", babi.SupportingFacts),
                ["supporting_fact_offsets"] = string.Join(",", babi.SupportingFacts.Select(i => c.FactOffsets[i].ToString(inv))),
                ["about_dropped_object"] = babi.AboutDroppedObject ? "true" : "false",
                ["background_chars"] = fit.Amount.ToString(inv),
                ["background_sentences"] = c.BackgroundSentences.ToString(inv),
            });
    }

    /// <summary>A prompt, where each fact starts in it, and how many background sentences (whole or cut) it holds.</summary>
    sealed record Composition(string Prompt, int[] FactOffsets, int BackgroundSentences);

    /// <summary>One sample's fixed draws (facts, background stream, fact positions) composed at any background size.</summary>
    sealed class Layout(BabiSample babi, SeededRandom rng, int targetTokens)
    {
        readonly BackgroundSentences _background = new(rng, windowChars: targetTokens * 10);
        readonly double[] _positions = Enumerable.Range(0, babi.Facts.Count).Select(_ => rng.NextDouble()).Order().ToArray();
        readonly BabilongPrompts.TaskPrompt _prompt = BabilongPrompts.For(babi.Task);

        /// <summary>
        /// The prompt with <paramref name="chars"/> characters of background sentences (the last one cut to fit), each
        /// fact before sentence floor(u × (sentences + 1)) for its own uniform u, all joined by spaces.
        /// </summary>
        public Composition Compose(int chars)
        {
            var sentences = Background(chars);
            var pieces = new List<string>();
            var factPieces = new int[babi.Facts.Count];
            var fact = 0;
            for (var gap = 0; gap <= sentences.Count; gap++)
            {
                for (; fact < _positions.Length && (int)(_positions[fact] * (sentences.Count + 1)) == gap; fact++)
                {
                    factPieces[fact] = pieces.Count;
                    pieces.Add(babi.Facts[fact]);
                }
                if (gap < sentences.Count) pieces.Add(sentences[gap]);
            }
            var prompt = BabilongPrompts.Format(_prompt, string.Join(" ", pieces), babi.Question);
            return new Composition(prompt, FactOffsets(prompt, pieces, factPieces), sentences.Count);
        }

        List<string> Background(int chars)
        {
            var used = new List<string>();
            if (chars == 0) return used;
            foreach (var sentence in _background.AtLeast(chars))
            {
                if (sentence.Length >= chars)
                {
                    used.Add(sentence[..chars].TrimEnd());
                    break;
                }
                used.Add(sentence);
                chars -= sentence.Length;
            }
            return used;
        }

        static int[] FactOffsets(string prompt, List<string> pieces, int[] factPieces)
        {
            var pieceStart = new int[pieces.Count];
            var at = prompt.IndexOf("<context>\n", StringComparison.Ordinal) + "<context>\n".Length;
            for (var i = 0; i < pieces.Count; i++)
            {
                pieceStart[i] = at;
                at += pieces[i].Length + 1;
            }
            return factPieces.Select(p => pieceStart[p]).ToArray();
        }
    }
}
