using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>
/// AdamW (decoupled weight decay, bias-corrected moments) over named parameters. Written out rather than taken from
/// TorchSharp so its whole state is a set of named tensors that checkpoints store exactly, and resuming continues the
/// same trajectory bit for bit.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly List<(string Name, Parameter Param)> _params;
    readonly Dictionary<string, (Tensor M, Tensor V)> _moments = new();

    /// <summary>Learning rate (set by schedules between steps).</summary>
    public double LearningRate { get; set; }
    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>Added to the root of the second moment.</summary>
    public double Eps { get; }
    /// <summary>Decoupled weight decay.</summary>
    public double WeightDecay { get; }
    /// <summary>Number of updates taken.</summary>
    public long Step { get; private set; }

    /// <summary>An optimizer for <paramref name="parameters"/> (names as in the model's state dict).</summary>
    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, double lr, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.0)
    {
        _params = parameters.ToList();
        (LearningRate, Beta1, Beta2, Eps, WeightDecay) = (lr, beta1, beta2, eps, weightDecay);
    }

    /// <summary>The parameters this optimizer updates.</summary>
    public IReadOnlyList<(string Name, Parameter Param)> Parameters => _params;

    /// <summary>Clears all gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in _params) p.grad?.zero_();
    }

    /// <summary>Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grads = _params.Select(p => p.Param.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        double norm = stack(grads.Select(g => g.to(ScalarType.Float32).norm()).ToArray()).norm().item<float>();
        if (maxNorm > 0 && norm > maxNorm)
            {
            using var factor = (maxNorm / (norm + 1e-6)).ToScalar();
            foreach (var g in grads) g.mul_(factor);
        }
        return norm;
    }

    /// <summary>Applies one update from the current gradients (parameters without a gradient are skipped).</summary>
    public void Update()
    {
        using var _ = no_grad();
        Step++;
        double bc1 = 1 - Math.Pow(Beta1, Step), bc2 = 1 - Math.Pow(Beta2, Step);
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var newWeight1 = (1 - Beta1).ToScalar();
        using var newWeight2 = (1 - Beta2).ToScalar();
        using var decay = (1 - LearningRate * WeightDecay).ToScalar();
        foreach (var (name, p) in _params)
        {
            if (p.grad is null) continue;
            using var scope = NewDisposeScope();
            var (m, v) = Moments(name, p);
            var g = p.grad.to(ScalarType.Float32);
            m.mul_(beta1).add_(g, newWeight1);
            v.mul_(beta2).addcmul_(g, g, newWeight2);
            var update = m.Over(bc1) / v.Over(bc2).sqrt().Plus(Eps);
            if (WeightDecay != 0) p.mul_(decay);
            p.sub_(update.Times(LearningRate).to(p.dtype));
        }
    }

    (Tensor M, Tensor V) Moments(string name, Parameter p)
    {
        if (!_moments.TryGetValue(name, out var mv))
        {
            mv = (zeros_like(p, ScalarType.Float32).DetachFromDisposeScope(), zeros_like(p, ScalarType.Float32).DetachFromDisposeScope());
            _moments[name] = mv;
        }
        return mv;
    }

    /// <summary>The moment tensors as named tensors (<c>adamw.m.NAME</c>, <c>adamw.v.NAME</c>).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors() => _moments.SelectMany(kv => new[]
    {
        KeyValuePair.Create($"adamw.m.{kv.Key}", kv.Value.M), KeyValuePair.Create($"adamw.v.{kv.Key}", kv.Value.V),
    });

    /// <summary>Restores the moments from <paramref name="tensors"/> (as written by <see cref="StateTensors"/>) and the step count.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, long step)
    {
        Step = step;
        foreach (var (name, p) in _params)
        {
            if (!tensors.TryGetValue($"adamw.m.{name}", out var m) || !tensors.TryGetValue($"adamw.v.{name}", out var v)) continue;
            var (dm, dv) = Moments(name, p);
            using var _ = no_grad();
            dm.copy_(m);
            dv.copy_(v);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (m, v) in _moments.Values) { m.Dispose(); v.Dispose(); }
    }
}
