namespace Lawcat.Evaluation;

/// <summary>
/// Writes one bAbI story of task 2 or 3: valid random actions in the basic world, and a question after an even number
/// of facts whenever one can be answered from the facts alone. It keeps the true world (where people and objects are)
/// apart from what a reader knows (a person's place only after a sentence moves them there), and answers from the
/// reader's knowledge by the rules measured on the real data:
/// task 2 asks for a dropped object's place (supported by the drop and the dropper's last move) or a carried object's
/// place once its holder has moved (the pick-up and the holder's last move); task 3 asks where an object was before a
/// place L it was carried to, answered by the place before L's latest occurrence in the object's history (the drop or
/// pick-up, the move into L and the move into the place before).
/// </summary>
internal sealed class BabiStory
{
    /// <summary>Questions in every story, as in bAbI.</summary>
    public const int QuestionsPerStory = 5;

    /// <summary>A story that has not asked all its questions by then is started afresh.</summary>
    const int MaxFacts = 1000;

    /// <summary>A question with its answer, and how many facts precede it.</summary>
    public sealed record Question(string Text, string Answer, int[] SupportingFacts, bool AboutDroppedObject, int FactCount);

    /// <summary>One carried move of an object: from the carrier's known place (null if unknown) to another.</summary>
    readonly record struct Step(int? From, int? FromFact, int To, int ToFact, int HistoryIndex);

    /// <summary>An object's time in one person's hands, from the pick-up to the drop (null while still held).</summary>
    sealed class Carry(int getFact)
    {
        public int GetFact { get; } = getFact;
        public int? DropFact { get; set; }
        public List<Step> Steps { get; } = new();
    }

    /// <summary>An answerable question: the object, the place asked about (task 3) and the answer.</summary>
    readonly record struct Ask(int Object, int? Before, int Answer, int[] Support, bool Dropped);

    readonly BabiTask _task;
    readonly BabiStyle _style;
    readonly SeededRandom _rng;
    readonly List<string> _facts = new();
    readonly List<Question> _questions = new();

    readonly int[] _actorAt = new int[BabiWorld.Actors.Count];
    readonly int?[] _holder = new int?[BabiWorld.Objects.Count];
    readonly int[] _objectAt = new int[BabiWorld.Objects.Count];

    readonly int?[] _actorKnown = new int?[BabiWorld.Actors.Count];
    readonly int?[] _actorLastMove = new int?[BabiWorld.Actors.Count];
    readonly int?[] _objectKnown = new int?[BabiWorld.Objects.Count];
    readonly List<int>[] _history = BabiWorld.Objects.Select(_ => new List<int>()).ToArray();
    readonly Carry?[] _carry = new Carry?[BabiWorld.Objects.Count];
    readonly Carry?[] _lastCarryWithSteps = new Carry?[BabiWorld.Objects.Count];
    readonly (int Fact, int? DropperMove)?[] _lastDrop = new (int, int?)?[BabiWorld.Objects.Count];

    Ask? _previous;
    bool _repeatNext;
    int _factsSinceQuestion;

    BabiStory(BabiTask task, SeededRandom rng)
    {
        _task = task;
        _style = BabiStyle.For(task);
        _rng = rng;
        for (var a = 0; a < _actorAt.Length; a++) _actorAt[a] = rng.Next(BabiWorld.Locations.Count);
        for (var o = 0; o < _objectAt.Length; o++) _objectAt[o] = rng.Next(BabiWorld.Locations.Count);
    }

    /// <summary>The facts and the five questions of a new story drawn from <paramref name="rng"/>.</summary>
    public static (IReadOnlyList<string> Facts, IReadOnlyList<Question> Questions) Write(BabiTask task, SeededRandom rng)
    {
        while (true)
        {
            var story = new BabiStory(task, rng);
            while (story._questions.Count < QuestionsPerStory && story._facts.Count < MaxFacts)
            {
                story.Act();
                story.MaybeAsk();
            }
            if (story._questions.Count == QuestionsPerStory) return (story._facts, story._questions);
        }
    }

    void Act()
    {
        var total = _style.MoveWeight + _style.GetWeight + _style.DropWeight;
        while (true)
        {
            var r = _rng.NextDouble() * total;
            if (r < _style.MoveWeight) { Move(); return; }
            var pairs = r < _style.MoveWeight + _style.GetWeight ? PickUps() : Drops();
            if (pairs.Count == 0) continue;
            var (actor, obj) = _rng.Pick(pairs);
            if (_holder[obj] == null) Get(actor, obj); else Drop(actor, obj);
            return;
        }
    }

    List<(int Actor, int Object)> PickUps() =>
        (from a in Enumerable.Range(0, _actorAt.Length)
         from o in Enumerable.Range(0, _objectAt.Length)
         where _holder[o] == null && _objectAt[o] == _actorAt[a]
         select (a, o)).ToList();

    List<(int Actor, int Object)> Drops() =>
        (from o in Enumerable.Range(0, _objectAt.Length) where _holder[o] != null select (_holder[o]!.Value, o)).ToList();

    void Move()
    {
        var actor = _rng.Next(_actorAt.Length);
        var to = (_actorAt[actor] + 1 + _rng.Next(BabiWorld.Locations.Count - 1)) % BabiWorld.Locations.Count;
        var fact = AddFact(BabiWorld.Move(_rng.Pick(BabiWorld.MoveVerbs), BabiWorld.Actors[actor], BabiWorld.Locations[to]));
        for (var o = 0; o < _holder.Length; o++)
        {
            if (_holder[o] != actor) continue;
            _objectKnown[o] = to;
            _history[o].Add(to);
            var carry = _carry[o]!;
            carry.Steps.Add(new Step(_actorKnown[actor], _actorLastMove[actor], to, fact, _history[o].Count - 1));
            _lastCarryWithSteps[o] = carry;
        }
        _actorAt[actor] = to;
        _actorKnown[actor] = to;
        _actorLastMove[actor] = fact;
    }

    void Get(int actor, int obj)
    {
        var fact = AddFact(BabiWorld.Handle(_rng.Pick(BabiWorld.GetVerbs), BabiWorld.Actors[actor], BabiWorld.Objects[obj],
            _rng.Chance(_style.GetThere)));
        _holder[obj] = actor;
        _carry[obj] = new Carry(fact);
        if (_objectKnown[obj] == null && _actorKnown[actor] is int at)
        {
            _objectKnown[obj] = at;
            _history[obj].Add(at);
        }
    }

    void Drop(int actor, int obj)
    {
        var fact = AddFact(BabiWorld.Handle(_rng.Pick(BabiWorld.DropVerbs), BabiWorld.Actors[actor], BabiWorld.Objects[obj],
            _rng.Chance(_style.DropThere)));
        _holder[obj] = null;
        _objectAt[obj] = _actorAt[actor];
        _carry[obj]!.DropFact = fact;
        _lastDrop[obj] = (fact, _actorLastMove[actor]);
    }

    int AddFact(string sentence)
    {
        _facts.Add(sentence);
        _factsSinceQuestion++;
        return _facts.Count - 1;
    }

    /// <summary>
    /// bAbI asks only after an even number of facts since the last question (at least two). A new question is about
    /// something the last two facts changed (in the real data its latest supporting fact is always that recent),
    /// preferably about a dropped object; a repeated one comes at the first chance, while it can still be answered.
    /// </summary>
    void MaybeAsk()
    {
        if (_factsSinceQuestion < 2 || _factsSinceQuestion % 2 != 0) return;
        if (_repeatNext && _previous is Ask previous && Reask(previous) is Ask again)
        {
            Record(again);
            return;
        }
        _repeatNext = false;
        var fresh = Answerable().Where(a => a.Support.Max() >= _facts.Count - 2).ToList();
        if (fresh.Count == 0 || !_rng.Chance(_style.AskChance)) return;
        var dropped = fresh.Where(a => a.Dropped).ToList();
        if (dropped.Count > 0) Record(Choose(dropped));
        else if (_rng.Chance(_style.HeldQuestionChance)) Record(Choose(fresh));
    }

    Ask? Reask(Ask previous) =>
        Answerable().Where(a => a.Object == previous.Object && a.Before == previous.Before).Cast<Ask?>().FirstOrDefault();

    IEnumerable<Ask> Answerable() =>
        Enumerable.Range(0, _objectAt.Length).SelectMany(o => _task == BabiTask.Qa2 ? WhereIs(o) : WhereWasBefore(o));

    IEnumerable<Ask> WhereIs(int obj)
    {
        if (_holder[obj] is int holder)
        {
            var carry = _carry[obj]!;
            if (carry.Steps.Count > 0)
                yield return new Ask(obj, null, _actorKnown[holder]!.Value, new[] { carry.GetFact, _actorLastMove[holder]!.Value }, false);
        }
        else if (_lastDrop[obj] is (var dropFact, int dropperMove) && _objectKnown[obj] is int at)
        {
            yield return new Ask(obj, null, at, new[] { dropFact, dropperMove }, true);
        }
    }

    IEnumerable<Ask> WhereWasBefore(int obj)
    {
        if (_lastCarryWithSteps[obj] is not Carry carry) yield break;
        var anchor = carry.DropFact ?? carry.GetFact;
        foreach (var step in carry.Steps)
        {
            if (step.From is int from && _history[obj].LastIndexOf(step.To) == step.HistoryIndex)
                yield return new Ask(obj, step.To, from, new[] { anchor, step.ToFact, step.FromFact!.Value }, carry.DropFact != null);
        }
    }

    /// <summary>An object uniformly; in task 3 its latest carried move with <see cref="BabiStyle.LatestChance"/>, else any.</summary>
    Ask Choose(List<Ask> candidates)
    {
        var objects = candidates.Select(a => a.Object).Distinct().ToList();
        var obj = _rng.Pick(objects);
        var forObject = candidates.Where(a => a.Object == obj).ToList();
        return _rng.Chance(_style.LatestChance) ? forObject[^1] : _rng.Pick(forObject);
    }

    void Record(Ask ask)
    {
        var obj = BabiWorld.Objects[ask.Object];
        var text = ask.Before is int before ? BabiWorld.WhereWasBefore(obj, BabiWorld.Locations[before]) : BabiWorld.WhereIs(obj);
        _questions.Add(new Question(text, BabiWorld.Locations[ask.Answer], ask.Support, ask.Dropped, _facts.Count));
        _previous = ask;
        _repeatNext = _rng.Chance(_style.RepeatChance);
        _factsSinceQuestion = 0;
    }
}
