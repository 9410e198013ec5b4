using System.Globalization;
using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>
/// BABILong qa2 / qa3 (<c>booydar/babilong</c>): a generated bAbI sample (<see cref="BabiStories"/>) whose facts are
/// scattered, in order, between background sentences (<see cref="BackgroundSentences"/>), inside BABILong's default
/// prompt (<see cref="BabilongPrompts"/>); scored by <see cref="BabilongLabelScorer"/>.
/// <para>
/// Length, as BABILong counts it (<c>create_tasks.py</c>): the target is the split L (0, 1000, 2000, 4000, ...), and
/// the haystack, facts plus background, is L − <see cref="PromptAllowance"/> GPT-2 tokens (<see cref="Gpt2Tokens"/>;
/// each fact and sentence counted with its leading space, the last sentence cut to fit). The instruction, examples and
/// question are not counted, so the prompt the model reads is longer than L; its length in the model's own tokens is
/// the sample's <see cref="EvalSample.ActualLength"/>. Split 0 has no background: the facts alone.
/// </para>
/// <para>
/// Fact filter, as BABILong's: in split L > 0 a question is kept only if its facts plus the question line number at
/// most (L − 300) / 8 (<see cref="MaxFacts"/>: 86 facts at 1000, 211 at 2000); split 0 keeps every question. A story
/// whose question has too many facts is redrawn, which samples uniformly among the questions that pass.
/// </para>
/// <para>
/// Placement: each fact goes into a gap between background sentences chosen uniformly (with repeats, kept in order),
/// as BABILong places them; there is no depth control.
/// </para>
/// </summary>
public sealed class BabilongGenerator : IEvalGenerator
{
    /// <summary>GPT-2 tokens BABILong sets aside from each split "to take prompt length into account".</summary>
    public const int PromptAllowance = 300;

    /// <summary>BABILong allows one line (fact or question) per this many GPT-2 tokens of the haystack.</summary>
    public const int TokensPerFact = 8;

    /// <summary>The splits LAWCAT reports for BABILong (0K to 16K), in BABILong's units.</summary>
    public static IReadOnlyList<int> StandardLengths { get; } = new[] { 0, 1000, 2000, 4000, 8000, 16000 };

    /// <summary>Stories tried before a split is declared too short for the task.</summary>
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

    /// <summary>GPT-2 tokens of facts plus background in split <paramref name="split"/> (0 for split 0: facts alone).</summary>
    public static int HaystackTokens(int split) => split == 0 ? 0 : split - PromptAllowance;

    /// <summary>The most facts a question of split <paramref name="split"/> may have (null: no limit, split 0).</summary>
    public static int? MaxFacts(int split) => split == 0 ? null : HaystackTokens(split) / TokensPerFact - 1;

    /// <summary>
    /// Sample <paramref name="index"/> of split <paramref name="targetTokens"/>. Its story, background and fact positions
    /// depend only on the seed and the index, so where a story passes several splits' filters, it is the same story with
    /// more or less background.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="depth"/> is not null: BABILong has no depth.</exception>
    /// <exception cref="LawcatException">The split is too short for BABILong's filter to keep a story.</exception>
    public EvalSample Generate(ITokenizer tok, int targetTokens, double? depth, int index)
    {
        if (depth != null) throw new ArgumentException("BABILong spreads facts uniformly and takes no depth", nameof(depth));
        var maxFacts = MaxFacts(targetTokens);
        if (targetTokens < 0 || maxFacts < 2)
            throw new LawcatException($"BABILong split {targetTokens}: expected 0 (facts alone) or a split of at least " +
                $"{PromptAllowance + 3 * TokensPerFact} GPT-2 tokens, such as 1000, 2000 or 4000");
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var babi = BabiStories.Sample(_task, SeededRandom.For(_seed, index, SeededRandom.Stream(Task), attempt));
            if (babi.Facts.Count > maxFacts) continue;
            var rng = SeededRandom.For(_seed, index, SeededRandom.Stream("babilong-background"));
            return ToSample(babi, Compose(babi, rng, HaystackTokens(targetTokens)), tok, targetTokens, index);
        }
        throw new LawcatException($"no {Task} story in {MaxAttempts} draws had at most {maxFacts} facts, BABILong's filter " +
            $"for split {targetTokens}; ask for a longer split (or 0, which has no filter)");
    }

    EvalSample ToSample(BabiSample babi, Composition c, ITokenizer tok, int split, int index)
    {
        var inv = CultureInfo.InvariantCulture;
        return new EvalSample(Task, _seed, index, c.Prompt, new[] { babi.Answer }, split, tok.Encode(c.Prompt).Count, null,
            new Dictionary<string, string>
            {
                ["question"] = babi.Question,
                ["facts"] = string.Join("\n", babi.Facts),
                ["supporting_facts"] = string.Join(",", babi.SupportingFacts),
                ["supporting_fact_offsets"] = string.Join(",", babi.SupportingFacts.Select(i => c.FactOffsets[i].ToString(inv))),
                ["about_dropped_object"] = babi.AboutDroppedObject ? "true" : "false",
                ["fact_gpt2_tokens"] = c.FactTokens.ToString(inv),
                ["background_gpt2_tokens"] = c.BackgroundTokens.ToString(inv),
                ["background_sentences"] = c.BackgroundSentences.ToString(inv),
            });
    }

    /// <summary>A prompt, where each fact starts in it, its GPT-2 haystack sizes and how many background sentences
    /// (whole or cut) it holds.</summary>
    sealed record Composition(string Prompt, int[] FactOffsets, int FactTokens, int BackgroundTokens, int BackgroundSentences);

    /// <summary>
    /// The prompt whose haystack holds <paramref name="haystackTokens"/> GPT-2 tokens (or the facts alone at 0): each
    /// fact before sentence floor(u × (sentences + 1)) for its own uniform u, all joined by spaces.
    /// </summary>
    static Composition Compose(BabiSample babi, SeededRandom rng, int haystackTokens)
    {
        var factTokens = babi.Facts.Sum(f => Gpt2Tokens.Count(" " + f));
        var backgroundTokens = haystackTokens == 0 ? 0 : Math.Max(0, haystackTokens - factTokens);
        var sentences = Background(new BackgroundSentences(rng, windowChars: backgroundTokens * 10), backgroundTokens);
        var positions = Enumerable.Range(0, babi.Facts.Count).Select(_ => rng.NextDouble()).Order().ToArray();
        var pieces = new List<string>();
        var factPieces = new int[babi.Facts.Count];
        var fact = 0;
        for (var gap = 0; gap <= sentences.Count; gap++)
        {
            for (; fact < positions.Length && (int)(positions[fact] * (sentences.Count + 1)) == gap; fact++)
            {
                factPieces[fact] = pieces.Count;
                pieces.Add(babi.Facts[fact]);
            }
            if (gap < sentences.Count) pieces.Add(sentences[gap]);
        }
        var prompt = BabilongPrompts.Format(BabilongPrompts.For(babi.Task), string.Join(" ", pieces), babi.Question);
        return new Composition(prompt, FactOffsets(prompt, pieces, factPieces), factTokens, backgroundTokens, sentences.Count);
    }

    /// <summary>Background sentences worth exactly <paramref name="tokens"/> GPT-2 tokens, the last one cut to fit.</summary>
    static List<string> Background(BackgroundSentences background, int tokens)
    {
        var used = new List<string>();
        if (tokens == 0) return used;
        foreach (var sentence in background.AtLeast(tokens))
        {
            if (sentence.Tokens >= tokens)
            {
                used.Add(Gpt2Tokens.Prefix(" " + sentence.Text, tokens).Trim());
                break;
            }
            used.Add(sentence.Text);
            tokens -= sentence.Tokens;
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
