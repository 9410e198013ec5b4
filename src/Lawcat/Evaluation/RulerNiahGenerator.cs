using System.Globalization;
using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>The three single-needle RULER tasks (S-NIAH-1/2/3 in the Gated DeltaNet and LAWCAT papers).</summary>
public enum RulerNiahTask
{
    /// <summary><c>niah_single_1</c>: repeated-sentence haystack, one needle line, 7-digit number.</summary>
    SNiah1,

    /// <summary><c>niah_single_2</c>: essay haystack, needle between sentences, 7-digit number.</summary>
    SNiah2,

    /// <summary><c>niah_single_3</c>: essay haystack, needle between sentences, UUID.</summary>
    SNiah3,
}

/// <summary>
/// RULER's single-needle tasks (<c>scripts/data/synthetic/niah.py</c> with <c>synthetic.yaml</c>) for a base model:
/// the task template with RULER's edits for one needle, and the answer prefix appended, so the model continues
/// "... mentioned in the provided text is". Keys are adjective-noun pairs (<see cref="RulerValues"/>).
/// S-NIAH-1 repeats <see cref="NoiseLine"/> and puts the needle on a line of its own at a uniform random line;
/// S-NIAH-2/3 use the <see cref="EssayHaystack"/> (public-domain Gutenberg prose instead of Paul Graham's essays, so
/// scores are not digit-for-digit comparable) and put the needle before sentence floor(depth × sentences), with the
/// depth drawn from <see cref="DepthGrid.Ruler"/>. The haystack size (lines or words) is searched per sample for the
/// largest prompt within the target, so a prompt falls short of it by less than one line (S-NIAH-1) or one word.
/// </summary>
public sealed class RulerNiahGenerator : IEvalGenerator
{
    /// <summary>RULER's task template (<c>constants.py</c>), before its edits for a single needle.</summary>
    public const string Template =
        "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. I will quiz you about the {type_needle_v} afterwards.\n{context}\nWhat are all the special magic {type_needle_v} for {query} mentioned in the provided text?";

    /// <summary>RULER's answer prefix, appended to the template before the edits.</summary>
    public const string AnswerPrefix = " The special magic {type_needle_v} for {query} mentioned in the provided text are";

    /// <summary>The needle sentence; it keeps the plural (RULER formats it with the unedited value type).</summary>
    public const string NeedleTemplate = "One of the special magic {type_needle_v} for {key} is: {value}.";

    /// <summary>The S-NIAH-1 haystack unit, repeated on lines of its own.</summary>
    public const string NoiseLine = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

    /// <summary>Tokens RULER lets the model generate, counted inside its sequence length.</summary>
    public const int TokensToGenerate = 128;

    /// <summary>The sequence lengths LAWCAT reports (1K to 8K).</summary>
    public static IReadOnlyList<int> LawcatLengths { get; } = new[] { 1024, 2048, 4096, 8192 };

    readonly RulerNiahTask _task;
    readonly int _seed;

    /// <summary>A generator for <paramref name="task"/> whose samples are fixed by <paramref name="seed"/> and their index.</summary>
    public RulerNiahGenerator(RulerNiahTask task, int seed)
    {
        _task = task;
        _seed = seed;
    }

    /// <inheritdoc/>
    public string Task => _task switch
    {
        RulerNiahTask.SNiah1 => EvalTask.SNiah1,
        RulerNiahTask.SNiah2 => EvalTask.SNiah2,
        _ => EvalTask.SNiah3,
    };

    /// <summary>
    /// The prompt target for RULER's sequence length <paramref name="maxSeqLength"/>: RULER counts the
    /// <see cref="TokensToGenerate"/> answer tokens inside it.
    /// </summary>
    public static int PromptTarget(int maxSeqLength) => maxSeqLength - TokensToGenerate;

    /// <summary>The value type as the needle names it: "numbers" or "uuids".</summary>
    public string ValueType => _task == RulerNiahTask.SNiah3 ? "uuids" : "numbers";

    /// <summary>
    /// Template and answer prefix with RULER's single-needle edits (<c>niah.py</c>: "Some"→"A", "are all"→"is",
    /// "are"→"is", "answers"→"answer"), applied to the whole string before formatting, as RULER does.
    /// </summary>
    public static string SingleNeedleTemplate { get; } =
        (Template + AnswerPrefix).Replace("Some", "A").Replace("are all", "is").Replace("are", "is").Replace("answers", "answer");

    /// <summary>The full prompt: the edited template with the singular value type, the query key and the context.</summary>
    public string Prompt(string key, string context) =>
        SingleNeedleTemplate.Replace("{type_needle_v}", ValueType[..^1]).Replace("{query}", key).Replace("{context}", context);

    /// <summary>The needle sentence for a key and value.</summary>
    public string Needle(string key, string value) =>
        NeedleTemplate.Replace("{type_needle_v}", ValueType).Replace("{key}", key).Replace("{value}", value);

    /// <summary>
    /// Sample <paramref name="index"/>. With <paramref name="depth"/> null, S-NIAH-1 draws a uniform line and S-NIAH-2/3
    /// a depth of <see cref="DepthGrid.Ruler"/>, as RULER does.
    /// </summary>
    public EvalSample Generate(ITokenizer tok, int targetTokens, double? depth, int index)
    {
        var rng = SeededRandom.For(_seed, index, SeededRandom.Stream(Task));
        var key = RulerValues.Key(rng);
        var value = _task == RulerNiahTask.SNiah3 ? RulerValues.Uuid(rng) : RulerValues.Number(rng);
        var noise = _task == RulerNiahTask.SNiah1;
        var d = depth ?? (noise ? rng.NextDouble() : rng.Pick(DepthGrid.Ruler));
        var needle = Needle(key, value);
        var fit = LengthSearch.Largest(
            units => noise ? NoiseContext(needle, units, d) : EssayContext(needle, units, d),
            context => Prompt(key, context.Text), tok, targetTokens, probe: noise ? 20 : 500);
        var prompt = Prompt(key, fit.Draft.Text);
        return new EvalSample(Task, _seed, index, prompt, new[] { value }, targetTokens, fit.Tokens, d,
            new Dictionary<string, string>
            {
                ["key"] = key,
                ["needle"] = needle,
                ["haystack"] = noise ? "noise" : "gutenberg-prose",
                ["haystack_units"] = fit.Amount.ToString(CultureInfo.InvariantCulture),
                ["haystack_unit"] = noise ? "line" : "word",
                ["needle_before"] = fit.Draft.NeedleBefore,
            });
    }

    /// <summary>A context and where its needle went ("line 3 of 40", "sentence 12 of 96").</summary>
    readonly record struct Context(string Text, string NeedleBefore);

    /// <summary>S-NIAH-1: <paramref name="lines"/> noise lines with the needle inserted as line floor(depth × lines).</summary>
    static Context NoiseContext(string needle, int lines, double depth)
    {
        var at = DepthGrid.UnitIndex(depth, lines);
        var all = Enumerable.Repeat(NoiseLine, lines).ToList();
        all.Insert(at, needle);
        return new Context(string.Join("\n", all), $"line {at} of {lines}");
    }

    /// <summary>
    /// S-NIAH-2/3: the first <paramref name="words"/> haystack words split into sentences, the needle before sentence
    /// floor(depth × sentences), the three parts joined by spaces. At depth 0 (or 1) one part is empty and the join
    /// leaves a space at the context's start (or end), exactly as RULER's join does.
    /// </summary>
    static Context EssayContext(string needle, int words, double depth)
    {
        var sentences = SentenceSplitter.Split(EssayHaystack.Text(words));
        var at = DepthGrid.UnitIndex(depth, sentences.Count);
        var text = string.Join(" ", string.Join(" ", sentences.Take(at)), needle, string.Join(" ", sentences.Skip(at)));
        return new Context(text, $"sentence {at} of {sentences.Count}");
    }
}
