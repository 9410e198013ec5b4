namespace Lawcat.Evaluation;

/// <summary>
/// Writes one bAbI story of task 2 or 3: valid random actions in the basic world, and questions by the rule measured on
/// the real v1.2 data (evaluation notes §3.1.3b). It keeps the true world (where people and objects are) apart from
/// what a reader knows (a person's place only after a sentence moves them there) and answers from the reader's
/// knowledge (§3.1.4).
/// <para>
/// The rule: a checkpoint comes every even number of facts (at least two) after the previous question or the story's
/// start. A question is asked there if and only if some object qualifies: its latest pick-up or drop is among the last
/// <see cref="HandledWithin"/> facts, and a question about it can be answered. Task 2 ("Where is the O?") can be
/// answered when the object was dropped at a known place (supported by the drop and the dropper's last move before it)
/// or is held by someone who has moved since the pick-up (the pick-up and the holder's last move). Task 3 ("Where was
/// the O before the L?") needs the object's current carry (its latest pick-up, and the drop if there was one) to hold
/// at least two carried moves; L is where one of them other than the first ended, and the answer is where that move
/// started (supported by the drop or pick-up, the move into L and the move into the answer). One qualifying object is
/// chosen uniformly, then, in task 3, one of its places L uniformly.
/// </para>
/// </summary>
internal sealed class BabiStory
{
    /// <summary>Questions in every story, as in bAbI.</summary>
    public const int QuestionsPerStory = 5;

    /// <summary>bAbI asks about an object only while its latest pick-up or drop is among this many latest facts.</summary>
    public const int HandledWithin = 5;

    /// <summary>A story that has not asked all its questions by then is started afresh.</summary>
    const int MaxFacts = 1000;

    /// <summary>A question with its answer, and how many facts precede it.</summary>
    public sealed record Question(string Text, string Answer, int[] SupportingFacts, bool AboutDroppedObject, int FactCount);

    /// <summary>One carried move of an object: the holder's move into <paramref name="To"/> (fact <paramref name="ToFact"/>),
    /// which is entry <paramref name="HistoryIndex"/> of the object's history of places.</summary>
    readonly record struct Step(int To, int ToFact, int HistoryIndex);

    /// <summary>An object's time in one person's hands, from the pick-up to the drop (null while still held).</summary>
    sealed class Carry(int holder, int getFact)
    {
        public int Holder { get; } = holder;
        public int GetFact { get; } = getFact;
        public int? DropFact { get; set; }

        /// <summary>Where the dropper was known to be at the drop, and their last move before it.</summary>
        public (int Place, int MoveFact)? DroppedAt { get; set; }

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
    readonly int[] _objectAt = new int[BabiWorld.Objects.Count];
    readonly int?[] _holder = new int?[BabiWorld.Objects.Count];

    readonly int?[] _actorKnown = new int?[BabiWorld.Actors.Count];
    readonly int?[] _actorLastMove = new int?[BabiWorld.Actors.Count];
    readonly List<int>[] _history = BabiWorld.Objects.Select(_ => new List<int>()).ToArray();
    readonly Carry?[] _carry = new Carry?[BabiWorld.Objects.Count];

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
                story.AskAtCheckpoint();
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
            _history[o].Add(to);
            _carry[o]!.Steps.Add(new Step(to, fact, _history[o].Count - 1));
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
        _carry[obj] = new Carry(actor, fact);
        // The pick-up tells where the object is when the taker's place is known; its history lists places once in a row.
        if (_actorKnown[actor] is int at && (_history[obj].Count == 0 || _history[obj][^1] != at)) _history[obj].Add(at);
    }

    void Drop(int actor, int obj)
    {
        var fact = AddFact(BabiWorld.Handle(_rng.Pick(BabiWorld.DropVerbs), BabiWorld.Actors[actor], BabiWorld.Objects[obj],
            _rng.Chance(_style.DropThere)));
        _holder[obj] = null;
        _objectAt[obj] = _actorAt[actor];
        var carry = _carry[obj]!;
        carry.DropFact = fact;
        if (_actorKnown[actor] is int at) carry.DroppedAt = (at, _actorLastMove[actor]!.Value);
    }

    int AddFact(string sentence)
    {
        _facts.Add(sentence);
        _factsSinceQuestion++;
        return _facts.Count - 1;
    }

    /// <summary>At a checkpoint, asks about one qualifying object chosen uniformly, if there is any.</summary>
    void AskAtCheckpoint()
    {
        if (_factsSinceQuestion < 2 || _factsSinceQuestion % 2 != 0) return;
        var byObject = Enumerable.Range(0, _objectAt.Length)
            .Where(HandledRecently)
            .Select(o => (_task == BabiTask.Qa2 ? WhereIs(o) : WhereWasBefore(o)).ToList())
            .Where(asks => asks.Count > 0)
            .ToList();
        if (byObject.Count == 0) return;
        Record(_rng.Pick(_rng.Pick(byObject)));
    }

    bool HandledRecently(int obj) =>
        _carry[obj] is Carry carry && (carry.DropFact ?? carry.GetFact) >= _facts.Count - HandledWithin;

    IEnumerable<Ask> WhereIs(int obj)
    {
        var carry = _carry[obj]!;
        if (carry.DropFact is int dropFact)
        {
            if (carry.DroppedAt is var (place, dropperMove))
                yield return new Ask(obj, null, place, new[] { dropFact, dropperMove }, true);
        }
        else if (carry.Steps.Count > 0)
        {
            yield return new Ask(obj, null, _actorKnown[carry.Holder]!.Value, new[] { carry.GetFact, _actorLastMove[carry.Holder]!.Value }, false);
        }
    }

    /// <summary>
    /// Every L reached by a move of the current carry after its first whose arrival is L's latest occurrence in the
    /// object's history (so the answer, the place before it, is the one the latest-occurrence rule reads).
    /// </summary>
    IEnumerable<Ask> WhereWasBefore(int obj)
    {
        var carry = _carry[obj]!;
        var anchor = carry.DropFact ?? carry.GetFact;
        for (var k = 1; k < carry.Steps.Count; k++)
        {
            var (into, from) = (carry.Steps[k], carry.Steps[k - 1]);
            if (_history[obj].LastIndexOf(into.To) == into.HistoryIndex)
                yield return new Ask(obj, into.To, from.To, new[] { anchor, into.ToFact, from.ToFact }, carry.DropFact != null);
        }
    }

    void Record(Ask ask)
    {
        var obj = BabiWorld.Objects[ask.Object];
        var text = ask.Before is int before ? BabiWorld.WhereWasBefore(obj, BabiWorld.Locations[before]) : BabiWorld.WhereIs(obj);
        _questions.Add(new Question(text, BabiWorld.Locations[ask.Answer], ask.Support, ask.Dropped, _facts.Count));
        _factsSinceQuestion = 0;
    }
}
