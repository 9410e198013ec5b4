"""LAWCAT attention in PyTorch alone (no transformers), computing what the Lawcat Workbench computes.

The workbench (C#, TorchSharp) distills a softmax Llama into LAWCAT: each converted layer keeps the teacher's q/k/v/o
projections and adds a causal depthwise convolution on queries and keys, a feature map shared by both, a decay gate and
gated linear attention whose denominator runs through the same recurrence (docs/lawcat.md in the workbench). This file
mirrors its src/Lawcat/Attention and src/Lawcat/Kernels/GatedLinearAttention.cs option by option, with parameter names
equal to the workbench's, so an exported state dict loads as it is. modeling_lawcat.py puts these layers into Hugging
Face's Llama classes; the workbench's fixture generator runs them with PyTorch only.

Shapes: B batch, T new tokens, H query heads, Hkv key/value heads, D head width, K feature width (= D).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

FEATURE_MAPS = ("hedgehog_softmax", "elu_plus_one", "relu", "identity")
GATES = ("none", "scalar_per_head", "low_rank_per_dim", "full_rank_per_dim")
NORMALIZATIONS = ("none", "denominator", "output_rms_norm")
FORMS = ("chunked", "parallel", "recurrent")

# Every LAWCAT option the workbench writes, with its default (the paper's headline configuration).
DEFAULT_OPTIONS = {
    "conv_kernel_size": 4,
    "conv_on_query": True,
    "conv_on_key": True,
    "conv_on_value": False,
    "conv_init_off_tap": 1e-3,
    "feature_map": "hedgehog_softmax",
    "feature_map_identity_init": True,
    "gate": "low_rank_per_dim",
    "gate_rank": 16,
    "gate_logit_normalizer": 16.0,
    "gate_init_memory": [],  # initialization only: the trained gate weights carry it
    "max_gate_memory": 0.0,
    "linear_init_std": 0.006,
    "normalization": "denominator",
    "normalization_eps": 1e-10,
    "rope_on_linear_path": False,
    "window_size": 0,
    "window_factor_init": 0.0,
    "form": "chunked",
    "chunk_size": 64,
}

_CHOICES = {"feature_map": FEATURE_MAPS, "gate": GATES, "normalization": NORMALIZATIONS, "form": FORMS}


def parse_options(options):
    """The LAWCAT options of a config's `lawcat.options` with defaults filled in; ValueError names a bad key."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise ValueError(f"lawcat.options: unknown key '{unknown[0]}'; known keys: {', '.join(DEFAULT_OPTIONS)}")
    o = {**DEFAULT_OPTIONS, **options}
    for key, allowed in _CHOICES.items():
        if o[key] not in allowed:
            raise ValueError(f"lawcat.options.{key}: '{o[key]}' is not one of {', '.join(allowed)}")
    checks = [
        ("conv_kernel_size", o["conv_kernel_size"] >= 1, "must be >= 1"),
        ("gate_rank", o["gate_rank"] >= 1, "must be >= 1"),
        ("gate_logit_normalizer", o["gate_logit_normalizer"] > 0, "must be > 0"),
        ("max_gate_memory", o["max_gate_memory"] >= 0, "must be >= 0 (0 = no bound)"),
        ("window_size", o["window_size"] >= 0, "must be >= 0"),
        ("chunk_size", o["chunk_size"] >= 16 and o["chunk_size"] % 16 == 0, "must be a positive multiple of 16"),
        ("normalization_eps", o["normalization_eps"] >= 0, "must be >= 0"),
        ("window_size", o["window_size"] == 0 or o["normalization"] == "denominator",
         "a sliding window shares the denominator, so it needs normalization = denominator"),
    ]
    for key, ok, expected in checks:
        if not ok:
            raise ValueError(f"lawcat.options.{key}: {expected}, got {o[key]!r}")
    return o


def rotate(x, cos, sin):
    """RoPE: x [B, H, T, D] rotated by the tables cos, sin [B, T, D] (Hugging Face's rotate_half convention)."""
    c, s = cos.unsqueeze(1), sin.unsqueeze(1)
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * c + rotated * s


def share_heads(x, heads):
    """[B, Hs, T, W] -> [B, H, T, W], head h taking shared head h // (H / Hs), as grouped-query attention shares k/v."""
    b, hs, t, w = x.shape
    if heads % hs != 0:
        raise ValueError(f"{heads} query heads cannot share {hs} heads evenly")
    groups = heads // hs
    if groups == 1:
        return x
    return x[:, :, None].expand(b, hs, groups, t, w).reshape(b, heads, t, w)


def expand_gate(g, q):
    """Gate log-decays [B, Hg, T, K or 1] broadcast to q's heads and width: [B, H, T, K]."""
    g = share_heads(g, q.shape[1])
    return g.expand(*g.shape[:3], q.shape[3])


def with_denominator_column(v):
    """Values [B, H, T, V] with a ones column appended, [B, H, T, V + 1]: the column carries the denominator."""
    return torch.cat((v, v.new_ones(*v.shape[:3], 1)), dim=-1)


def divide_by_denominator(o, eps):
    """o [B, H, T, V + 1] -> o[:V] / (o[V] + eps) in fp32."""
    o = o.float()
    return o[..., :-1] / (o[..., -1:] + eps)


def _new_state(q, v):
    return torch.zeros(q.shape[0], q.shape[1], q.shape[3], v.shape[3], dtype=torch.float32, device=q.device)


def gla_recurrent(q, k, v, g, scale, state=None):
    """Gated linear attention token by token in fp32 (the specification):
    S_t = Diag(exp(g_t)) S_{t-1} + k_t^T v_t,  o_t = scale * q_t S_t.
    q, k, g [B, H, T, K]; v [B, H, T, V]; state [B, H, K, V]. Returns (o [B, H, T, V] in q's dtype, final state fp32)."""
    q32, k32, v32, g32 = q.float(), k.float(), v.float(), g.float()
    s = state.float() if state is not None else _new_state(q, v)
    outputs = []
    for t in range(q.shape[2]):
        s = s * g32[:, :, t].exp().unsqueeze(-1) + k32[:, :, t].unsqueeze(-1) * v32[:, :, t].unsqueeze(-2)
        outputs.append(scale * (q32[:, :, t].unsqueeze(-1) * s).sum(-2))
    o = torch.stack(outputs, 2) if outputs else v32[:, :, :0]
    return o.to(q.dtype), s


def gla_step(q, k, v, g, scale, state=None):
    """One decoding step of gated linear attention: q, k, g [B, H, 1, K], v [B, H, 1, V], state [B, H, K, V]."""
    s = state.float() if state is not None else _new_state(q, v)
    s = s * g.float().squeeze(2).exp().unsqueeze(-1) + k.float().squeeze(2).unsqueeze(-1) * v.float().squeeze(2).unsqueeze(-2)
    o = scale * torch.matmul(q.float(), s)                                              # [B, H, 1, V]
    return o.to(q.dtype), s


def gla_parallel_weights(q, k, g, scale):
    """w[t, i] = scale * sum_f q[t,f] k[i,f] exp(G[t,f] - G[i,f]) for i <= t (G the running sum of g), 0 above the
    diagonal; [B, H, T, T] fp32. The running sums are differenced in fp64, so exponents never exceed 0."""
    t = q.shape[2]
    cum = g.double().cumsum(2)                                                          # [B, H, T, K]
    diff = (cum.unsqueeze(3) - cum.unsqueeze(2)).float()                                # [B, H, T, T, K]
    causal = torch.ones(t, t, dtype=torch.bool, device=q.device).tril().unsqueeze(-1)
    decay = diff.masked_fill(~causal, float("-inf")).exp()
    return scale * (q.float().unsqueeze(3) * k.float().unsqueeze(2) * decay).sum(-1)


def gla_parallel(q, k, v, g, scale, state=None):
    """Gated linear attention through the T x T weights (short inputs); same meaning as gla_recurrent."""
    v32 = v.float()
    cum64 = g.double().cumsum(2)
    cum = cum64.float()
    o = torch.matmul(gla_parallel_weights(q, k, g, scale), v32)                         # [B, H, T, V]
    to_end = (cum64[:, :, -1:] - cum64).float()                                         # log-decay from i to the end
    s = torch.matmul((k.float() * to_end.exp()).transpose(2, 3), v32)                   # [B, H, K, V]
    if state is not None:
        s0 = state.float()
        o = o + scale * torch.matmul(q.float() * cum.exp(), s0)
        s = s + cum[:, :, -1:].transpose(2, 3).exp() * s0
    return o.to(q.dtype), s


def gla_chunked(q, k, v, g, scale, state=None, chunk_size=64):
    """Gated linear attention chunk by chunk (prefill): inside a chunk the decays between token pairs are exact
    (exponents <= 0), across chunks the state carries the past; memory O(chunk^2 K) per step. Same meaning as
    gla_recurrent."""
    s = state.float() if state is not None else _new_state(q, v)
    c, t = chunk_size, q.shape[2]
    causal = torch.ones(c, c, dtype=torch.bool, device=q.device).tril()
    outputs = []
    for start in range(0, t, c):
        qc, kc, vc = q[:, :, start:start + c].float(), k[:, :, start:start + c].float(), v[:, :, start:start + c].float()
        cum = g[:, :, start:start + c].float().cumsum(2)                                # [B, H, C, K], within the chunk
        n = qc.shape[2]
        diff = cum.unsqueeze(3) - cum.unsqueeze(2)                                      # [B, H, C, C, K]: G_t - G_i
        decay = diff.masked_fill(~causal[:n, :n].unsqueeze(-1), float("-inf")).exp()
        scores = (qc.unsqueeze(3) * kc.unsqueeze(2) * decay).sum(-1)                    # [B, H, C, C]
        outputs.append(scale * (torch.matmul(scores, vc) + torch.matmul(qc * cum.exp(), s)))
        last = cum[:, :, -1:]                                                           # [B, H, 1, K]
        s = last.transpose(2, 3).exp() * s + torch.matmul((kc * (last - cum).exp()).transpose(2, 3), vc)
    o = torch.cat(outputs, 2) if outputs else v.float()[:, :, :0]
    return o.to(q.dtype), s


def gla(q, k, v, g, scale, state, form, chunk_size, decoding):
    """The gated linear attention form the options ask for; a single token of a decoding step takes the step form."""
    if decoding:
        return gla_step(q, k, v, g, scale, state)
    if form == "parallel":
        return gla_parallel(q, k, v, g, scale, state)
    if form == "recurrent":
        return gla_recurrent(q, k, v, g, scale, state)
    return gla_chunked(q, k, v, g, scale, state, chunk_size)


def sliding_window_softmax(q, k, v, valid, w, past_k=None, past_v=None, past_valid=None):
    """The window term of a LAWCAT layer: for each query, scores q.k/sqrt(D) over the last w keys including its own,
    exponentiated after subtracting the row maximum, as an unnormalized numerator [B, H, T, D] and denominator
    [B, H, T, 1]. q, k, v [B, H, T, D] fp32 (rotated); valid [B, T] bool or None; past_* the previous w keys, values and
    their validity (None at the start). Computed in blocks of w queries against 2w keys, so memory is O(T w).
    Returns (numerator, denominator, next keys, next values, next validity)."""
    b, h, t, d = q.shape
    dev = q.device
    valid = torch.ones(b, t, dtype=torch.bool, device=dev) if valid is None else valid.bool()
    past_k = q.new_zeros(b, h, w, d) if past_k is None else past_k
    past_v = q.new_zeros(b, h, w, d) if past_v is None else past_v
    past_valid = torch.zeros(b, w, dtype=torch.bool, device=dev) if past_valid is None else past_valid
    nb = (t + w - 1) // w
    pad = nb * w - t
    k_ext = F.pad(torch.cat((past_k, k), 2), (0, 0, 0, pad))                           # [B, H, w + T + pad, D]
    v_ext = F.pad(torch.cat((past_v, v), 2), (0, 0, 0, pad))
    valid_ext = F.pad(torch.cat((past_valid, valid), 1).float(), (0, pad)).bool()
    qb = F.pad(q, (0, 0, 0, pad)).view(b, h, nb, w, d)                                 # [B, H, nb, w, D]
    kb = k_ext.unfold(2, 2 * w, w)                                                      # [B, H, nb, D, 2w]
    vb = v_ext.unfold(2, 2 * w, w).transpose(3, 4)                                      # [B, H, nb, 2w, D]
    okb = valid_ext.unfold(1, 2 * w, w).reshape(b, 1, nb, 1, 2 * w)                     # [B, 1, nb, 1, 2w]
    a = torch.arange(w, device=dev).view(w, 1)
    c = torch.arange(2 * w, device=dev).view(1, 2 * w)
    band = ((c > a) & (c <= a + w)).view(1, 1, 1, w, 2 * w)                             # query a sees keys a+1..a+w
    allowed = band & okb
    scores = torch.matmul(qb, kb) / math.sqrt(d)                                        # [B, H, nb, w, 2w]
    scores = scores.masked_fill(~allowed, float("-inf"))
    top = scores.amax(-1, keepdim=True).nan_to_num(0.0, 0.0, 0.0)
    e = (scores - top).exp().masked_fill(~allowed, 0.0)
    num = torch.matmul(e, vb).reshape(b, h, nb * w, d)[:, :, :t]
    den = e.sum(-1).reshape(b, h, nb * w, 1)[:, :, :t]
    end = k_ext.shape[2] - pad                                                          # end of real keys
    return num, den, k_ext[:, :, end - w:end], v_ext[:, :, end - w:end], valid_ext[:, end - w:end]


class CausalConv1d(nn.Module):
    """Causal depthwise convolution over time, y_t[c] = sum_j w[c, j] x_{t-r+j}[c], zero before the start, no bias;
    weight [C, 1, r + 1], tap r the current token. The last r inputs are carried as a tail for decoding."""

    def __init__(self, channels, kernel_size, off_tap):
        super().__init__()
        weight = torch.full((channels, 1, kernel_size), float(off_tap))
        weight[..., -1] = 1.0
        self.weight = nn.Parameter(weight)

    def forward(self, x, tail=None):
        """x [B, T, C], tail [B, C, r] or None -> (y [B, T, C], new tail [B, C, r])."""
        channels, r = self.weight.shape[0], self.weight.shape[2] - 1
        xt = x.transpose(1, 2)                                                          # [B, C, T]
        if tail is None:
            tail = x.new_zeros(x.shape[0], channels, r)
        padded = torch.cat((tail.to(x.dtype), xt), 2)                                   # [B, C, r + T]
        y = F.conv1d(padded, self.weight.to(x.dtype), groups=channels)                  # [B, C, T]
        return y.transpose(1, 2), padded[:, :, padded.shape[2] - r:]


class FeatureMap(nn.Module):
    """The feature map phi shared by queries and keys, [B, H, T, D] -> [B, H, T, D]. Hedgehog:
    phi(u) = clamp_min([softmax(u W_h), softmax(-u W_h)], 1e-12) with W_h [D, D/2] per head (parameter `layer`)."""

    def __init__(self, kind, heads, head_dim, identity_init):
        super().__init__()
        self.kind = kind
        if kind == "hedgehog_softmax":
            if identity_init:
                weight = torch.eye(head_dim, head_dim // 2).unsqueeze(0).repeat(heads, 1, 1)
            else:
                weight = torch.empty(heads, head_dim, head_dim // 2)
                nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
            self.layer = nn.Parameter(weight)                                           # [H, D, D/2]

    def forward(self, u):
        if self.kind == "hedgehog_softmax":
            x = torch.einsum("bhtd,hdf->bhtf", u, self.layer.to(u.dtype))              # [B, H, T, D/2]
            return torch.cat((x.softmax(-1), (-x).softmax(-1)), -1).clamp_min(1e-12)
        if self.kind == "elu_plus_one":
            return F.elu(u, 1.0) + 1
        if self.kind == "relu":
            return F.relu(u)
        return u


class DecayGate(nn.Module):
    """The log-decay g = logsigmoid(a(x)) / normalizer per key/value head, [B, Hkv, T, K] (K = 1 for the scalar gate);
    None without a gate. Low rank (LAWCAT's): a = W_up W_down x + b as `gk_proj.0` and `gk_proj.1`. With
    max_gate_memory M > 0, g is clamped to at most -1/M (without a gate: g = -1/M, [B, 1, T, 1])."""

    def __init__(self, options, hidden, kv_heads, head_dim):
        super().__init__()
        kind, std = options["gate"], options["linear_init_std"]
        self.normalizer, self.kv_heads = options["gate_logit_normalizer"], kv_heads
        self.max_log_decay = -1.0 / options["max_gate_memory"] if options["max_gate_memory"] > 0 else None
        self.width = 1 if kind == "scalar_per_head" else head_dim
        if kind == "low_rank_per_dim":
            self.gk_proj = nn.Sequential(_normal(nn.Linear(hidden, options["gate_rank"], bias=False), std),
                                         _normal(nn.Linear(options["gate_rank"], kv_heads * head_dim, bias=True), std))
        elif kind == "full_rank_per_dim":
            self.gk_proj = _normal(nn.Linear(hidden, kv_heads * head_dim, bias=True), std)
        elif kind == "scalar_per_head":
            self.gk_proj = _normal(nn.Linear(hidden, kv_heads, bias=True), std)
        else:
            self.gk_proj = None

    def forward(self, x):
        b, t = x.shape[:2]
        if self.gk_proj is None:
            if self.max_log_decay is None:
                return None
            return torch.full((b, 1, t, 1), self.max_log_decay, dtype=torch.float32, device=x.device)
        g = F.logsigmoid(self.gk_proj(x).float()) / self.normalizer                    # [B, T, Hkv * K]
        if self.max_log_decay is not None:
            g = g.clamp_max(self.max_log_decay)
        return g.view(b, t, self.kv_heads, self.width).transpose(1, 2)                  # [B, Hkv, T, K]


def _normal(linear, std):
    with torch.no_grad():
        nn.init.normal_(linear.weight, 0.0, std)
        if linear.bias is not None:
            linear.bias.zero_()
    return linear


class RmsNorm(nn.Module):
    """RMSNorm over the last dimension in fp32, cast back before the weight (as Hugging Face's LlamaRMSNorm)."""

    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * h.to(x.dtype)


class LawcatState:
    """Decoding state of one LAWCAT layer, constant in sequence length: the recurrent state s [B, H, K, V(+1)] fp32
    (the last column carries the denominator), the conv tails [B, C, r] and, with a window, its last w rotated keys,
    values [B, H, w, D] and their validity [B, w]."""

    def __init__(self):
        self.s = None
        self.q_tail = self.k_tail = self.v_tail = None
        self.window_k = self.window_v = self.window_valid = None

    def select(self, index):
        """Keeps the batch rows `index` (beam search reordering)."""
        for name in ("s", "q_tail", "k_tail", "v_tail", "window_k", "window_v", "window_valid"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name).index_select(0, index.to(getattr(self, name).device)))


class KvState:
    """Keys and values [B, Hkv, T, D] of a softmax layer seen so far (after RoPE)."""

    def __init__(self):
        self.k = self.v = None

    def select(self, index):
        """Keeps the batch rows `index` (beam search reordering)."""
        if self.k is not None:
            self.k, self.v = self.k.index_select(0, index.to(self.k.device)), self.v.index_select(0, index.to(self.v.device))

    def append(self, k, v):
        self.k = k if self.k is None else torch.cat((self.k, k), 2)
        self.v = v if self.v is None else torch.cat((self.v, v), 2)
        return self.k, self.v


def _projections(module, hidden, heads, kv_heads, head_dim, bias):
    module.q_proj = nn.Linear(hidden, heads * head_dim, bias=bias)
    module.k_proj = nn.Linear(hidden, kv_heads * head_dim, bias=bias)
    module.v_proj = nn.Linear(hidden, kv_heads * head_dim, bias=bias)
    module.o_proj = nn.Linear(heads * head_dim, hidden, bias=bias)


class LawcatAttention(nn.Module):
    """A converted layer: the teacher's q/k/v/o projections (LoRA merged), conv on q and k (and v if chosen) after the
    grouped-query expansion, feature map, decay gate and normalized gated linear attention (docs/lawcat.md 1.2):
        q~ = conv_q(W_q x), k~ = conv_k(expand(W_k x)), v = expand(W_v x)
        S_t = Diag(exp(g_t)) S_{t-1} + phi(k~_t)^T [v_t, 1],  o_t = phi(q~_t) S_t / sqrt(K),  y_t = o_t[:D] / (o_t[D] + eps)
        out = W_o y
    Optional: RoPE on the linear path, a sliding-window softmax term sharing the denominator, other maps, gates and
    normalizations, as the options say."""

    def __init__(self, hidden, heads, kv_heads, head_dim, bias, options):
        super().__init__()
        self.options = o = options
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        _projections(self, hidden, heads, kv_heads, head_dim, bias)
        channels = heads * head_dim
        for name, on in (("q_conv1d", o["conv_on_query"]), ("k_conv1d", o["conv_on_key"]), ("v_conv1d", o["conv_on_value"])):
            setattr(self, name, CausalConv1d(channels, o["conv_kernel_size"], o["conv_init_off_tap"]) if on else None)
        self.feature_map = FeatureMap(o["feature_map"], heads, head_dim, o["feature_map_identity_init"])
        self.gate = DecayGate(o, hidden, kv_heads, head_dim)
        self.g_norm = RmsNorm(head_dim, max(o["normalization_eps"], 1e-6)) if o["normalization"] == "output_rms_norm" else None
        if o["window_size"] > 0:
            self.window_factors = nn.Parameter(torch.full((1, heads, 1, 1), float(o["window_factor_init"])))

    def _compute_dtype(self):
        """The LAWCAT parameters' dtype when half precision, else fp32: features are computed in it."""
        first = next(iter(list(self.feature_map.parameters()) + list(self.gate.parameters())), None)
        dt = first.dtype if first is not None else torch.float32
        return dt if dt in (torch.bfloat16, torch.float16) else torch.float32

    def _expand(self, y):
        """[B, T, Hkv*D] -> [B, T, H*D], each key/value head repeated for its query heads."""
        b, t = y.shape[:2]
        groups = self.heads // self.kv_heads
        return y.view(b, t, self.kv_heads, 1, self.head_dim).expand(b, t, self.kv_heads, groups, self.head_dim).reshape(b, t, -1)

    def forward(self, x, cos, sin, key_mask, past, state):
        """x [B, T, C]; cos, sin [B, T, D] for the new tokens' positions; key_mask [B, past + T] bool (None when no token
        is padding); state a LawcatState (None without a cache). Returns [B, T, C]."""
        o = self.options
        b, t = x.shape[:2]
        cd = self._compute_dtype()
        valid = key_mask[:, past:] if key_mask is not None else None                    # [B, T]

        def project(proj, expand):
            y = proj(x).to(cd)
            if valid is not None:
                y = y * valid.unsqueeze(-1).to(cd)                                      # padding must not enter the conv
            return self._expand(y) if expand else y                                     # [B, T, H*D]

        q = self._convolve(self.q_conv1d, project(self.q_proj, False), state, "q_tail")
        k = self._convolve(self.k_conv1d, project(self.k_proj, self.kv_heads != self.heads), state, "k_tail")
        v = self._convolve(self.v_conv1d, project(self.v_proj, self.kv_heads != self.heads), state, "v_tail")

        def heads(y):
            return y.view(b, t, self.heads, self.head_dim).transpose(1, 2)             # [B, H, T, D]

        qh, kh, vh = heads(q), heads(k), heads(v)
        rot_q = rot_k = None
        if o["rope_on_linear_path"] or o["window_size"] > 0:
            rot_q, rot_k = rotate(qh, cos.to(cd), sin.to(cd)), rotate(kh, cos.to(cd), sin.to(cd))
        fq = self.feature_map(rot_q if o["rope_on_linear_path"] else qh)
        fk = self.feature_map(rot_k if o["rope_on_linear_path"] else kh)
        if valid is not None:
            fk = fk * valid.view(b, 1, t, 1).to(fk.dtype)                               # no numerator or denominator from padding
        g = self.gate(x.to(cd))                                                         # [B, Hkv, T, K or 1] or None
        decoding = state is not None and t == 1
        scale = 1.0 / math.sqrt(fq.shape[3])
        s0 = state.s if state is not None else None
        gh = expand_gate(g, fq) if g is not None else torch.zeros(fq.shape, dtype=torch.float32, device=fq.device)
        values = with_denominator_column(vh) if o["normalization"] == "denominator" else vh
        out, s = gla(fq, fk, values, gh, scale, s0, o["form"], o["chunk_size"], decoding)
        if state is not None:
            state.s = s
        y = self._normalize(out, rot_q, rot_k, vh, valid, state)                         # [B, H, T, D]
        return self.o_proj(y.transpose(1, 2).reshape(b, t, -1).to(x.dtype))

    @staticmethod
    def _convolve(conv, y, state, tail_name):
        """y through the conv (if any), continuing from and updating the state's tail."""
        if conv is None:
            return y
        y, tail = conv(y, getattr(state, tail_name) if state is not None else None)
        if state is not None:
            setattr(state, tail_name, tail)
        return y

    def _normalize(self, out, rot_q, rot_k, v, valid, state):
        o = self.options
        if o["normalization"] == "none":
            return out
        if o["normalization"] == "output_rms_norm":
            return self.g_norm(out.float())
        if o["window_size"] == 0:
            return divide_by_denominator(out, o["normalization_eps"]).to(out.dtype)
        out = out.float()
        num, den = out[..., :-1], out[..., -1:]
        past = (state.window_k, state.window_v, state.window_valid) if state is not None else (None, None, None)
        wn, wd, nk, nv, nvalid = sliding_window_softmax(rot_q.float(), rot_k.float(), v.float(), valid, o["window_size"], *past)
        if state is not None:
            state.window_k, state.window_v, state.window_valid = nk, nv, nvalid
        wf = self.window_factors.float().sigmoid()
        return (num + wf * wn) / (den + wf * wd + o["normalization_eps"])


def causal_mask(key_mask, tq, tk, past, dtype, device):
    """Additive mask [B or 1, 1, Tq, Tk]: 0 where query past + i may see key j (j <= past + i and the key is real),
    the dtype's minimum elsewhere, so a row of padding stays finite."""
    qpos = torch.arange(past, past + tq, device=device).unsqueeze(1)
    kpos = torch.arange(tk, device=device).unsqueeze(0)
    allowed = (kpos <= qpos).unsqueeze(0)                                               # [1, Tq, Tk]
    if key_mask is not None:
        allowed = allowed & key_mask.bool().unsqueeze(1)                                # [B, Tq, Tk]
    mask = torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, torch.finfo(dtype).min)
    return mask.unsqueeze(1)


class SoftmaxAttention(nn.Module):
    """A layer kept as the teacher's softmax attention: grouped-query attention with RoPE and a key/value cache
    (Hugging Face's LlamaAttention, with padding and positions handled as in LawcatAttention)."""

    def __init__(self, hidden, heads, kv_heads, head_dim, bias):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        _projections(self, hidden, heads, kv_heads, head_dim, bias)

    def forward(self, x, cos, sin, key_mask, past, state):
        """As LawcatAttention.forward; state a KvState (None without a cache)."""
        b, t = x.shape[:2]

        def heads(y, n):
            return y.view(b, t, n, self.head_dim).transpose(1, 2)                      # [B, n, T, D]

        q = rotate(heads(self.q_proj(x), self.heads), cos, sin)
        k = rotate(heads(self.k_proj(x), self.kv_heads), cos, sin)
        v = heads(self.v_proj(x), self.kv_heads)
        if state is not None:
            k, v = state.append(k, v)
        k, v = share_heads(k, self.heads), share_heads(v, self.heads)
        sdpa = getattr(F, "scaled_dot_product_attention", None)                         # PyTorch >= 2.0
        if sdpa is not None and key_mask is None and (t == 1 or past == 0):
            # Without padding no mask is materialized: a prompt is plain causal, one new token sees every key.
            y = sdpa(q, k, v, is_causal=t > 1)
        else:
            mask = causal_mask(key_mask, t, k.shape[2], past, q.dtype, q.device)
            if sdpa is not None:
                y = sdpa(q, k, v, attn_mask=mask)
            else:
                scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
                y = torch.matmul(scores.softmax(-1, dtype=torch.float32).to(q.dtype), v)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, -1))


def build_attention(layer_idx, softmax_layers, options, hidden, heads, kv_heads, head_dim, bias):
    """The attention of layer `layer_idx`: the softmax layer if it is one of `softmax_layers`, else LAWCAT."""
    if layer_idx in softmax_layers:
        return SoftmaxAttention(hidden, heads, kv_heads, head_dim, bias)
    return LawcatAttention(hidden, heads, kv_heads, head_dim, bias, options)


def new_state(attention):
    """An empty decoding state for a layer's attention."""
    return LawcatState() if isinstance(attention, LawcatAttention) else KvState()


def token_positions(key_mask, past, t, device):
    """Positions of the new tokens [B or 1, T]: they count real tokens only (left padding gets position 0)."""
    if key_mask is None:
        return torch.arange(past, past + t, device=device).unsqueeze(0)
    return (key_mask.long().cumsum(1) - 1).clamp_min(0)[:, past:]
