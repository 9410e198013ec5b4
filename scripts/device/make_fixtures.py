"""Fidelity fixtures from Hugging Face, made on the GPU machine (it has torch + transformers + tokenizers).

Writes into OUT_DIR (default ./fixtures-out):
  llama/<name>/            config.json + model.safetensors (or sharded) as saved by `save_pretrained`,
                           expected.safetensors with HF's outputs for fixed inputs (fp32, CPU, eager attention).
  tokenizer/llama3-ids.json  HF `tokenizers` ids and decodes for tests/fixtures/tokenizer/strings.json.

Usage: python3 scripts/device/make_fixtures.py TOKENIZER_JSON [OUT_DIR]
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

CONFIGS = {
    # GQA ratio 1, tied embeddings, default RoPE, odd intermediate size.
    "gqa1-tied": dict(hidden_size=64, intermediate_size=150, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=4, vocab_size=301, tie_word_embeddings=True, rope_theta=10000.0,
                      rms_norm_eps=1e-5, max_position_embeddings=256),
    # GQA ratio 4, untied, llama3 RoPE scaling with a small original context so the scaling bites. Sharded.
    "gqa4-untied-llama3": dict(hidden_size=96, intermediate_size=200, num_hidden_layers=3, num_attention_heads=8,
                               num_key_value_heads=2, vocab_size=517, tie_word_embeddings=False, rope_theta=500000.0,
                               rms_norm_eps=1e-5, max_position_embeddings=2048,
                               rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                 high_freq_factor=4.0, original_max_position_embeddings=16)),
    # Explicit head_dim != hidden/heads, GQA ratio 5, linear RoPE scaling, bf16 weights on disk.
    "gqa5-headdim-linear-bf16": dict(hidden_size=80, intermediate_size=176, num_hidden_layers=2, num_attention_heads=5,
                                     num_key_value_heads=1, head_dim=32, vocab_size=263, tie_word_embeddings=True,
                                     rope_theta=10000.0, rms_norm_eps=1e-6, max_position_embeddings=512,
                                     rope_scaling=dict(rope_type="linear", factor=2.0)),
}


def build(name, cfg, seed):
    torch.manual_seed(seed)
    config = LlamaConfig(**cfg, initializer_range=0.08, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                         attn_implementation="eager")
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # make the norm weights non-trivial so they are tested too
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    if name.endswith("bf16"):
        # Round the weights to bf16 values in place, so the bf16 file is exact. (Not model.to(bfloat16): that
        # would also round the rotary inv_freq buffer, which HF keeps in fp32 when it loads a bf16 checkpoint.)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).float())
    return model


def hooks(model, store):
    handles = []
    model.model.embed_tokens.register_forward_hook(lambda m, i, o: store.__setitem__("embeddings", o.detach().clone()))
    for li, layer in enumerate(model.model.layers):
        def f(m, i, o, li=li):
            store[f"layer.{li}"] = (o[0] if isinstance(o, tuple) else o).detach().clone()
        handles.append(layer.register_forward_hook(f))
    model.model.norm.register_forward_hook(lambda m, i, o: store.__setitem__("final_norm", o.detach().clone()))
    return handles


def make_model_fixture(name, cfg, seed, out_dir):
    model = build(name, cfg, seed)
    folder = os.path.join(out_dir, "llama", name)
    save_kwargs = dict(safe_serialization=True)
    if "untied" in name:
        save_kwargs["max_shard_size"] = "300KB"
    if name.endswith("bf16"):
        model.config.dtype = torch.bfloat16
        sd = {k: v.to(torch.bfloat16) for k, v in model.state_dict().items()}
        if cfg.get("tie_word_embeddings"):
            sd.pop("lm_head.weight", None)
        save_kwargs["state_dict"] = sd
    model.save_pretrained(folder, **save_kwargs)
    V = cfg["vocab_size"]
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(3, V, (2, 13), generator=g)
    expected = {"input_ids": ids}
    store = {}
    hooks(model, store)
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True)
    expected["logits"] = out.logits
    for k, v in store.items():
        expected["hidden." + k] = v
    for li, a in enumerate(out.attentions):
        expected[f"attn_weights.{li}"] = a

    # Left-padded batch: rows of length 13, 9 and 4; position ids as generate() makes them.
    lens = [13, 9, 4]
    T = max(lens)
    pad = torch.zeros(len(lens), T, dtype=torch.long)
    mask = torch.zeros(len(lens), T, dtype=torch.long)
    for r, n in enumerate(lens):
        pad[r, T - n:] = torch.randint(3, V, (n,), generator=g)
        mask[r, T - n:] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        outp = model(input_ids=pad, attention_mask=mask, position_ids=pos)
    expected["padded.input_ids"] = pad
    expected["padded.attention_mask"] = mask
    expected["padded.logits"] = outp.logits

    # Greedy generation, unpadded and padded, with the top-1/top-2 margin at each step (near-ties are noted).
    for tag, (inp, m) in {"gen": (ids, torch.ones_like(ids)), "padded.gen": (pad, mask)}.items():
        with torch.no_grad():
            res = model.generate(input_ids=inp, attention_mask=m, max_new_tokens=10, do_sample=False,
                                 pad_token_id=0, eos_token_id=None, output_scores=True, return_dict_in_generate=True)
        expected[tag + ".sequences"] = res.sequences
        scores = torch.stack(res.scores, 1)  # [B, N, V]
        top2 = scores.topk(2, -1).values
        expected[tag + ".margins"] = (top2[..., 0] - top2[..., 1]).float()
    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(folder, "expected.safetensors"))
    print(name, "saved;", sorted(os.listdir(folder)))


def make_tokenizer_fixture(tokenizer_json, strings_path, post_processor_path, out_dir):
    strings = json.load(open(strings_path, encoding="utf-8"))
    tok = Tokenizer.from_file(tokenizer_json)
    spec = json.load(open(tokenizer_json, encoding="utf-8"))
    spec["post_processor"] = json.load(open(post_processor_path, encoding="utf-8"))
    tok_bos = Tokenizer.from_str(json.dumps(spec))
    rows = []
    for s in strings:
        ids = tok.encode(s, add_special_tokens=False).ids
        rows.append({"ids": ids, "ids_bos": tok_bos.encode(s, add_special_tokens=True).ids,
                     "decoded": tok.decode(ids, skip_special_tokens=False),
                     "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    os.makedirs(os.path.join(out_dir, "tokenizer"), exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer", "llama3-ids.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizers_version": __import__("tokenizers").__version__, "rows": rows}, f, ensure_ascii=True)
    print("tokenizer rows:", len(rows))


if __name__ == "__main__":
    tokenizer_json = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else "fixtures-out"
    print("torch", torch.__version__, "transformers", transformers.__version__)
    for i, (name, cfg) in enumerate(CONFIGS.items()):
        make_model_fixture(name, cfg, 100 + i, out_dir)
    make_tokenizer_fixture(tokenizer_json, "tests/fixtures/tokenizer/strings.json",
                           "tests/fixtures/tokenizer/llama32-post-processor.json", out_dir)
