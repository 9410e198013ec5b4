using System.Text.RegularExpressions;
using Lawcat.Evaluation;

namespace Lawcat.Tests.Evaluation;

/// <summary>
/// An independent reader of bAbI facts: parses each sentence, tracks what the facts say (where each person last went,
/// who holds what, where each object has been) and answers the two question types by the rules in the evaluation notes.
/// It also checks that every action was possible as far as the facts tell.
/// </summary>
public sealed partial class BabiReplay
{
    readonly Dictionary<string, string> _personAt = new();
    readonly Dictionary<string, string> _holder = new();
    readonly Dictionary<string, string> _objectAt = new();
    readonly Dictionary<string, List<string>> _history = new();
    readonly HashSet<string> _movedSincePickUp = new();

    public static BabiReplay Of(IEnumerable<string> facts)
    {
        var replay = new BabiReplay();
        foreach (var fact in facts) replay.Read(fact);
        return replay;
    }

    /// <summary>"Where is the O?": where the object is now, or null if the facts do not tell.</summary>
    public string? WhereIs(string obj) => _objectAt.GetValueOrDefault(obj);

    /// <summary>Whether the object is held by someone who has moved since picking it up.</summary>
    public bool HeldAndCarried(string obj) => _holder.ContainsKey(obj) && _movedSincePickUp.Contains(obj);

    /// <summary>"Where was the O before the L?": the place before L's latest occurrence in the object's history.</summary>
    public string? WhereWasBefore(string obj, string location)
    {
        var history = _history.GetValueOrDefault(obj) ?? new List<string>();
        var at = history.LastIndexOf(location);
        return at >= 1 ? history[at - 1] : null;
    }

    void Read(string fact)
    {
        if (MoveFact().Match(fact) is { Success: true } move) Move(move.Groups[1].Value, move.Groups[3].Value);
        else if (GetFact().Match(fact) is { Success: true } get) Get(get.Groups[1].Value, get.Groups[3].Value);
        else if (DropFact().Match(fact) is { Success: true } drop) Drop(drop.Groups[1].Value, drop.Groups[3].Value);
        else throw new InvalidOperationException($"not a bAbI fact: '{fact}'");
    }

    void Move(string person, string location)
    {
        Assert.NotEqual(location, _personAt.GetValueOrDefault(person));
        _personAt[person] = location;
        foreach (var obj in _holder.Where(h => h.Value == person).Select(h => h.Key).ToList())
        {
            _objectAt[obj] = location;
            Visit(obj, location);
            _movedSincePickUp.Add(obj);
        }
    }

    void Get(string person, string obj)
    {
        Assert.False(_holder.ContainsKey(obj), $"{person} picks up the {obj}, which {_holder.GetValueOrDefault(obj)} holds");
        if (_personAt.TryGetValue(person, out var at) && _objectAt.TryGetValue(obj, out var objectAt))
            Assert.Equal(objectAt, at);
        _holder[obj] = person;
        _movedSincePickUp.Remove(obj);
        if (!_objectAt.ContainsKey(obj) && at != null)
        {
            _objectAt[obj] = at;
            Visit(obj, at);
        }
    }

    void Drop(string person, string obj)
    {
        Assert.Equal(person, _holder.GetValueOrDefault(obj));
        _holder.Remove(obj);
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
