"""Checks that Hugging Face transformers loads a model folder written by `lawcat pretrain` (config, weights,
byte-level tokenizer) and records its greedy continuation of a passkey prompt and its logits for fixed ids, so the
workbench's own outputs on the GPU can be compared (reference.safetensors, read by `lawcat bench model --reference`).

Usage: python3 hf_check_tiny.py MODEL_DIR
"""
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

folder = sys.argv[1]
tok = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
garbage = " ".join(["The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."] * 4)
prompt = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you "
          "about the important information there.\n" + garbage + "\nThe pass key is 27182. Remember it. 27182 is the pass key.\n"
          + garbage + "\nWhat is the pass key? The pass key is")
ids = tok(prompt, return_tensors="pt").input_ids
print("prompt tokens:", ids.shape[1], "first ids:", ids[0, :5].tolist())
out = model.generate(ids, max_new_tokens=10, do_sample=False)
print("HF greedy continuation:", repr(tok.decode(out[0, ids.shape[1]:])))
torch.manual_seed(0)
ref_ids = torch.randint(0, model.config.vocab_size, (2, 64))
with torch.no_grad():
    logits = model(ref_ids).logits
save_file({"input_ids": ref_ids, "logits": logits.contiguous()}, f"{folder}/../tiny-reference.safetensors")
print("saved reference logits", tuple(logits.shape))
