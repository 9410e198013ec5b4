using System.Text.RegularExpressions;
using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

/// <summary>
/// An independent reader of bAbI facts, fed one sentence at a time: parses each sentence, tracks what the facts say
/// (where each person last went, who holds what, where each object has been, each object's latest pick-up or drop and
/// the moves its current carry made) and answers the two question types by the rules in the evaluation notes (§3.1.4).
/// It also checks that every action was possible as far as the facts tell.
/// </summary>
public sealed partial class BabiReplay
{
    /// <summary>An object's time in one person's hands: the pick-up, the holder's moves meanwhile, the drop if any.</summary>
    public sealed class Carry(string holder, int pickUp)
    {
        public string Holder { get; } = holder;
        public int PickUp { get; } = pickUp;
        public List<(int Fact, string To)> Moves { get; } = new();
        public int? Drop { get; set; }

        /// <summary>The dropper's last move before the drop, when the dropper's place was known.</summary>
        public int? DropperMove { get; set; }
    }

    readonly Dictionary<string, string> _personAt = new();
    readonly Dictionary<string, int> _lastMove = new();
    readonly Dictionary<string, string> _holder = new();
    readonly Dictionary<string, string> _objectAt = new();
    readonly Dictionary<string, List<string>> _history = new();
    readonly Dictionary<string, Carry> _carry = new();

    /// <summary>Facts read so far.</summary>
    public int Count { get; private set; }

    public static BabiReplay Of(IEnumerable<string> facts)
    {
        var replay = new BabiReplay();
        foreach (var fact in facts) replay.Read(fact);
        return replay;
    }

    /// <summary>"Where is the O?": where the object is now, or null if the facts do not tell.</summary>
    public string? WhereIs(string obj) => _objectAt.GetValueOrDefault(obj);

    /// <summary>"Where was the O before the L?": the place before L's latest occurrence in the object's history.</summary>
    public string? WhereWasBefore(string obj, string location)
    {
        var history = _history.GetValueOrDefault(obj) ?? new List<string>();
        var at = history.LastIndexOf(location);
        return at >= 1 ? history[at - 1] : null;
    }

    /// <summary>The object's current carry (its latest pick-up), or null if nobody has picked it up.</summary>
    public Carry? CurrentCarry(string obj) => _carry.GetValueOrDefault(obj);

    /// <summary>The fact of the object's latest pick-up or drop, or null if there was none.</summary>
    public int? LastHandled(string obj) => CurrentCarry(obj) is Carry c ? c.Drop ?? c.PickUp : null;

    /// <summary>The fact of the person's latest move.</summary>
    public int? LastMove(string person) => _lastMove.TryGetValue(person, out var f) ? f : null;

    /// <summary>
    /// Whether bAbI would ask about the object now (§3.1.3b): its latest pick-up or drop is among the last
    /// <paramref name="within"/> facts and a question can be answered (task 2: dropped where the dropper was known to be,
    /// or held by someone who has moved since; task 3: the current carry made at least two moves).
    /// </summary>
    public bool Qualifies(BabiTask task, string obj, int within)
    {
        if (CurrentCarry(obj) is not Carry c || LastHandled(obj) < Count - within) return false;
        if (task == BabiTask.Qa3) return c.Moves.Count >= 2;
        return c.Drop != null ? c.DropperMove != null : c.Moves.Count > 0;
    }

    public void Read(string fact)
    {
        if (MoveFact().Match(fact) is { Success: true } move) Move(move.Groups[1].Value, move.Groups[3].Value);
        else if (GetFact().Match(fact) is { Success: true } get) Get(get.Groups[1].Value, get.Groups[3].Value);
        else if (DropFact().Match(fact) is { Success: true } drop) Drop(drop.Groups[1].Value, drop.Groups[3].Value);
        else throw new InvalidOperationException($"not a bAbI fact: '{fact}'");
        Count++;
    }

    void Move(string person, string location)
    {
        Assert.NotEqual(location, _personAt.GetValueOrDefault(person));
        _personAt[person] = location;
        _lastMove[person] = Count;
        foreach (var obj in _holder.Where(h => h.Value == person).Select(h => h.Key).ToList())
        {
            _objectAt[obj] = location;
            Visit(obj, location);
            _carry[obj].Moves.Add((Count, location));
        }
    }

    void Get(string person, string obj)
    {
        Assert.False(_holder.ContainsKey(obj), $"{person} picks up the {obj}, which {_holder.GetValueOrDefault(obj)} holds");
        if (_personAt.TryGetValue(person, out var at) && _objectAt.TryGetValue(obj, out var objectAt))
            Assert.Equal(objectAt, at);
        _holder[obj] = person;
        _carry[obj] = new Carry(person, Count);
        if (at != null)
        {
            _objectAt[obj] = at;
            Visit(obj, at);
        }
    }

    void Drop(string person, string obj)
    {
        Assert.Equal(person, _holder.GetValueOrDefault(obj));
        _holder.Remove(obj);
        var carry = _carry[obj];
        carry.Drop = Count;
        if (_personAt.ContainsKey(person)) carry.DropperMove = _lastMove[person];
    }

    void Visit(string obj, string location)
    {
        if (!_history.TryGetValue(obj, out var history)) _history[obj] = history = new List<string>();
        if (history.Count == 0 || history[^1] != location) history.Add(location);
    }

    [GeneratedRegex(@"^(John|Mary|Sandra|Daniel) (went to|went back to|journeyed to|travelled to|moved to) the (bedroom|kitchen|garden|hallway|bathroom|office)\.$")]
    private static partial Regex MoveFact();

    [GeneratedRegex(@"^(John|Mary|Sandra|Daniel) (got|took|grabbed|picked up) the (apple|football|milk)( there)?\.$")]
    private static partial Regex GetFact();

    [GeneratedRegex(@"^(John|Mary|Sandra|Daniel) (dropped|put down|discarded|left) the (apple|football|milk)( there)?\.$")]
    private static partial Regex DropFact();
}
