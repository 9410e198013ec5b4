"""Loads LAWCAT students exported by `lawcat export --format hf` in Hugging Face transformers and compares them with
the workbench's own outputs for the same ids (the file `--reference-logits` writes, or a fixture's expected.safetensors,
which the PyTorch modeling code alone computed):

  logits        one forward of the padded batch, max |diff| over real tokens; passes within TOL x the reference scale
  decode        the first part at once, then one token per call through the returned cache; same tolerance
  generate      model.generate(greedy, no stop token) equals the reference's greedy tokens exactly
  bfloat16      (with --bf16) loaded in bf16: LAWCAT parameters kept in fp32, logit difference and top-1 agreement (reported)

Usage: python3 hf_export_check.py --export NAME DIR REFERENCE [--export ...] [--bf16] [--json OUT]
Results are added to OUT (JSON) under their names. Exit code 1 when a check fails.
"""
import argparse
import copy
import json
import os
import sys
import time
import traceback

import torch
import transformers
from safetensors import safe_open
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

TOL = 1e-4
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def load(folder, dtype):
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True, dtype=dtype)
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True, torch_dtype=dtype)
    return model.to(DEVICE).eval()


def compare(logits, reference, valid):
    diff = (logits.float().cpu() - reference)[valid].abs()
    scale = reference[valid].abs().max().item()
    top1 = (logits.float().cpu().argmax(-1) == reference.argmax(-1))[valid].float().mean().item()
    return {"max_abs_diff": diff.max().item(), "mean_abs_diff": diff.mean().item(), "scale": scale,
            "tolerance": TOL * scale, "pass": diff.max().item() <= TOL * scale, "top1_agreement": top1}


def stepped_logits(model, ids, mask, prefill):
    """Logits of every position: `prefill` tokens in one call, then one token per call through the returned cache."""
    out = model(input_ids=ids[:, :prefill], attention_mask=mask[:, :prefill], use_cache=True)
    cache, parts = out.past_key_values, [out.logits]
    for t in range(prefill, ids.shape[1]):
        out = model(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        parts.append(out.logits)
    return torch.cat(parts, 1), type(cache).__name__


def generated(model, ids, mask, n):
    config = copy.deepcopy(model.generation_config)
    config.eos_token_id = None
    config.do_sample = False
    config.max_new_tokens = n
    config.pad_token_id = 0
    out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
    return out[:, ids.shape[1]:].cpu()


def check(name, folder, reference_path, bf16):
    ref = load_file(reference_path)
    with safe_open(reference_path, "pt") as f:
        prefill = int((f.metadata() or {}).get("prefill", ref["input_ids"].shape[1] // 2))
    ids, mask, ref_logits = ref["input_ids"].to(DEVICE), ref["attention_mask"].to(DEVICE), ref["logits"].float()
    valid = ref["attention_mask"].bool()
    result = {"name": name, "folder": folder, "tokens": list(ids.shape)}
    t0 = time.time()
    config = AutoConfig.from_pretrained(folder, trust_remote_code=True)
    model = load(folder, torch.float32)
    result.update(config_class=type(config).__name__, model_type=config.model_type, model_class=type(model).__name__,
                  parameters=sum(p.numel() for p in model.parameters()), load_s=round(time.time() - t0, 1))
    with torch.no_grad():
        result["logits"] = compare(model(input_ids=ids, attention_mask=mask).logits, ref_logits, valid)
        stepped, cache_class = stepped_logits(model, ids, mask, prefill)
        result["decode"] = {**compare(stepped, ref_logits, valid), "cache": cache_class}
    expected = ref["generated"]
    try:
        ours = generated(model, ids, mask, expected.shape[1])
        same = ours == expected
        first = int((~same).any(0).nonzero()[0]) if not bool(same.all()) else None
        result["generate"] = {"pass": bool(same.all()), "tokens": list(expected.shape), "first_difference": first,
                              "hf": ours.tolist(), "workbench": expected.tolist()}
    except Exception as e:  # noqa: BLE001 - the report names what failed and goes on with the other checks
        result["generate"] = {"pass": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
    if os.path.exists(os.path.join(folder, "tokenizer.json")):
        try:
            tok = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
            result["tokenizer"] = {"class": type(tok).__name__, "ids": tok("The pass key is 27182.").input_ids}
        except Exception as e:  # noqa: BLE001 - reported; the model checks above stand
            result["tokenizer"] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
    if bf16:
        del model
        model = load(folder, torch.bfloat16)
        lawcat_dtypes = sorted({str(p.dtype) for n, p in model.named_parameters() if "conv1d" in n or "feature_map" in n or "gk_proj" in n})
        with torch.no_grad():
            result["bfloat16"] = {**compare(model(input_ids=ids, attention_mask=mask).logits, ref_logits, valid),
                                  "lawcat_parameter_dtypes": lawcat_dtypes}
        result["bfloat16"].pop("pass")
    del model
    if DEVICE == "cuda":
        torch.cuda.empty_cache()
    result["pass"] = result["logits"]["pass"] and result["decode"]["pass"] and result["generate"]["pass"]
    return result


def line(r):
    if "logits" not in r:
        return f"FAIL {r['name']}: {r['error']}"
    lg, dc, gen = r["logits"], r["decode"], r["generate"]
    text = (f"{'PASS' if r['pass'] else 'FAIL'} {r['name']} ({r['model_class']}, {r['parameters']:,} parameters): "
            f"logits max|diff| {lg['max_abs_diff']:.2e} (tolerance {lg['tolerance']:.2e} = {TOL:g} x scale {lg['scale']:.3g}), "
            f"decode max|diff| {dc['max_abs_diff']:.2e}, generate {'identical' if gen['pass'] else gen.get('error') or 'differs at token ' + str(gen['first_difference'])}")
    if "error" in r.get("tokenizer", {}):
        text += f"; tokenizer failed: {r['tokenizer']['error']}"
    if "bfloat16" in r:
        b = r["bfloat16"]
        text += f"; bf16: max|diff| {b['max_abs_diff']:.2e}, top-1 {100 * b['top1_agreement']:.1f}%, LAWCAT parameters {','.join(b['lawcat_parameter_dtypes'])}"
    return text


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--export", nargs=3, action="append", default=[], metavar=("NAME", "DIR", "REFERENCE"))
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--json")
    a = p.parse_args()
    env = {"transformers": transformers.__version__, "torch": torch.__version__, "device": torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu"}
    print(json.dumps(env))
    results = []
    for name, folder, reference in a.export:
        t0 = time.time()
        try:
            r = check(name, folder, reference, a.bf16)
        except Exception as e:  # noqa: BLE001 - one broken model must not hide the others
            r = {"name": name, "pass": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
        r["seconds"] = round(time.time() - t0, 1)
        results.append(r)
        print(line(r), flush=True)
    if a.json:
        saved = json.load(open(a.json)) if os.path.exists(a.json) else {"results": []}
        kept = [r for r in saved["results"] if r["name"] not in {x["name"] for x in results}]
        with open(a.json + ".tmp", "w") as f:
            json.dump({"environment": env, "tolerance_relative": TOL, "results": kept + results}, f, indent=1)
        os.replace(a.json + ".tmp", a.json)
    failed = [r["name"] for r in results if not r["pass"]]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
