using Lawcat.Attention;
using Lawcat.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Tests.Reliability;

/// <summary>
/// Every Scalar the library hands to libtorch lives through the call. TorchSharp 0.107 turns numbers into Scalars
/// that nothing references once their handle is read (implicit conversions, its operators on a tensor and a number,
/// and the alpha of 1 behind Tensor + Tensor); a garbage collection during the call frees them while libtorch reads
/// them, which aborted the main job with "Expected false to be true ... toFloat" under load.
/// </summary>
[Trait("Category", "Kernels")]
public class ScalarLifetimeTests
{
    /// <summary>
    /// The chunked op on strongly decaying gates (its sub-chunk path masks scores with −∞) and the sliding-window
    /// term, run while another thread collects garbage without pause, give the results they give alone.
    /// </summary>
    [Fact]
    public void ChunkedAndWindowPathsSurviveGarbageCollectionsDuringNativeCalls()
    {
        var large = Inputs(t: 256, seed: 3);
        var reference = Run(large);
        WarmUp(Inputs(t: 32, seed: 4));
        var failures = WhileCollectingGarbage(() => Mismatches(large, reference, runs: 10));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Scalars die early only in optimized code: runs the paths often enough for the JIT to tier them up.</summary>
    static void WarmUp(Tensor[] x)
    {
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 35; i++) Dispose(Run(x));
            Thread.Sleep(300);
        }
    }

    /// <summary>Runs <paramref name="work"/> while another thread collects garbage and runs finalizers without pause.</summary>
    static T WhileCollectingGarbage<T>(Func<T> work)
    {
        var stop = 0;
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0) { GC.Collect(0); GC.WaitForPendingFinalizers(); }
        });
        collector.Start();
        try { return work(); }
        finally
        {
            Volatile.Write(ref stop, 1);
            collector.Join();
        }
    }

    /// <summary>Runs that throw or differ from <paramref name="reference"/> in any bit; stops at the first.</summary>
    static List<string> Mismatches(Tensor[] x, Tensor[] reference, int runs)
    {
        var failures = new List<string>();
        for (int i = 0; i < runs && failures.Count == 0; i++)
        {
            try
            {
                var r = Run(x);
                for (int j = 0; j < r.Length; j++)
                    if (!r[j].allclose(reference[j], rtol: 0, atol: 0)) failures.Add($"run {i}: output {j} differs");
                Dispose(r);
            }
            catch (Exception e) { failures.Add($"run {i}: {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
        }
        return failures;
    }

    /// <summary>
    /// No method of the library or the command line converts a number to a Scalar or a tensor implicitly, or calls a
    /// TorchSharp member that does so inside (found by following TorchSharp's own IL); every explicit
    /// <c>ToScalar()</c> goes into a field or a local that is disposed (a <c>using</c>).
    /// </summary>
    [Fact]
    public void NoNumberReachesLibtorchAsAnUnreferencedScalar()
    {
        var torchSharp = IlCallSites.Read(typeof(TorchSharp.torch).Assembly.Location);
        var unsafeMembers = UnreferencedScalarMakers(torchSharp);
        var violations = new List<string>();
        foreach (var assembly in new[] { typeof(LawcatException).Assembly.Location, Path.Combine(AppContext.BaseDirectory, "Lawcat.Cli.dll") })
        {
            var il = IlCallSites.Read(assembly);
            foreach (var (caller, callees) in il.Calls)
                foreach (var callee in callees.Distinct())
                    if (IsImplicitConversion(callee, tensorsToo: true) || unsafeMembers.Contains(callee))
                        violations.Add($"{caller} calls {callee}");
            foreach (var (method, code) in il.Methods)
                if (!ExplicitScalarsAreKept(code)) violations.Add($"{method} makes a Scalar that is neither a field nor a using local");
        }
        Assert.True(violations.Count == 0, $"{violations.Count} calls hand libtorch a Scalar nothing keeps alive:\n" + string.Join("\n", violations.Order()));
    }

    /// <summary>Each <c>ToScalar()</c> result is stored to a field (the object holding it outlives its calls), or to a local that is later disposed.</summary>
    static bool ExplicitScalarsAreKept(IReadOnlyList<IlInstruction> code)
    {
        const short StoreField = 0x7D, StoreStaticField = 0x80, CallVirtual = 0x6F;
        for (int i = 0; i < code.Count; i++)
        {
            if (code[i].Member?.StartsWith("TorchSharp.ScalarExtensionMethods::ToScalar(") != true) continue;
            var next = code[i + 1];
            if (next.OpCode is StoreField or StoreStaticField) continue;
            if (!next.IsStoreLocal) return false;
            bool disposed = code.Skip(i + 2).Zip(code.Skip(i + 3)).Any(p => p.First.Local == next.Local && !p.First.IsStoreLocal
                && p.Second.OpCode == CallVirtual && p.Second.Member == "System.IDisposable::Dispose()");
            if (!disposed) return false;
        }
        return true;
    }

    /// <summary>TorchSharp members that make a number into a Scalar implicitly, directly or through another such member.</summary>
    static HashSet<string> UnreferencedScalarMakers(IlCallSites torchSharp)
    {
        var found = torchSharp.Calls.Where(c => c.Value.Any(x => IsImplicitConversion(x, tensorsToo: false))).Select(c => c.Key).ToHashSet();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (caller, callees) in torchSharp.Calls)
                if (!found.Contains(caller) && callees.Any(found.Contains)) grew = found.Add(caller) | true;
        }
        return found;
    }

    static bool IsImplicitConversion(string member, bool tensorsToo) =>
        member.StartsWith("TorchSharp.Scalar::op_Implicit(") || (tensorsToo && member.StartsWith("TorchSharp.torch+Tensor::op_Implicit("));

    /// <summary>q, k, v [1, 4, T, 32], gates decaying by up to e^−50 per token, and a window of 48.</summary>
    static Tensor[] Inputs(int t, long seed)
    {
        manual_seed(seed);
        using var strength = 50.0.ToScalar();
        var g = nn.functional.logsigmoid(randn(1, 4, t, 32)).mul_(strength);
        return new[] { randn(1, 4, t, 32), randn(1, 4, t, 32), randn(1, 4, t, 32), g };
    }

    /// <summary>The chunked op's output and state, and the window term's numerator, denominator and dense weights.</summary>
    static Tensor[] Run(Tensor[] x)
    {
        using var noGrad = no_grad();
        var (o, s) = GatedLinearAttention.Chunked(x[0], x[1], x[2], x[3], 0.125);
        var (num, den, nextK, nextV, nextValid) = SlidingWindowSoftmax.Forward(x[0], x[1], x[2], null, 48, null, null, null);
        var dense = SlidingWindowSoftmax.DenseWeights(x[0], x[1], null, 48);
        Dispose(new[] { nextK, nextV, nextValid });
        return new[] { o, s, num, den, dense };
    }

    static void Dispose(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) t.Dispose();
    }
}
