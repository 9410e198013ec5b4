"""Builds the exact Llama-3.2-1B architecture with random bf16 weights using Hugging Face transformers on the GPU,
saves it as a model folder (with the Llama-3 tokenizer and Llama-3.2's BOS post-processor), and records reference
logits for fixed ids for `lawcat bench model --reference`, from the folder as users load it:
`from_pretrained(dtype=bfloat16)` and `from_pretrained(dtype=float32)`.

Usage: python3 make_llama1b.py OUT_DIR TOKENIZER_DIR POST_PROCESSOR_JSON
"""
import json
import os
import shutil
import sys
import time

import torch
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
out, tok_dir, post = sys.argv[1], sys.argv[2], sys.argv[3]
config = LlamaConfig(
    hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
    head_dim=64, hidden_act="silu", rms_norm_eps=1e-5, rope_theta=500000.0,
    rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 8192},
    max_position_embeddings=131072, vocab_size=128256, tie_word_embeddings=True, bos_token_id=128000,
    eos_token_id=128001, attn_implementation="sdpa")
t0 = time.time()
torch.manual_seed(0)
with torch.device("cuda"):
    model = LlamaForCausalLM(config).eval()
# Save bf16 weights without model.to(bfloat16), which would also round the fp32 rotary table.
config.dtype = torch.bfloat16
model.save_pretrained(out, safe_serialization=True, state_dict={k: v.to(torch.bfloat16) for k, v in model.state_dict().items() if k != "lm_head.weight"})
del model
print(f"built and saved in {time.time() - t0:.1f} s")
spec = json.load(open(os.path.join(tok_dir, "tokenizer.json")))
spec["post_processor"] = json.load(open(post))
json.dump(spec, open(os.path.join(out, "tokenizer.json"), "w"))
shutil.copy(os.path.join(tok_dir, "tokenizer_config.json"), os.path.join(out, "tokenizer_config.json"))
torch.manual_seed(1)
ids = torch.randint(0, config.vocab_size, (1, 512))
with torch.no_grad():
    model = LlamaForCausalLM.from_pretrained(out, dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
    print("HF loaded bf16; parameters", f"{sum(p.numel() for p in model.parameters()):,}", "rotary dtype", model.model.rotary_emb.inv_freq.dtype)
    bf16 = model(ids.cuda()).logits.float().cpu()
    del model
    model = LlamaForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="sdpa").cuda().eval()
    fp32 = model(ids.cuda()).logits.cpu()
save_file({"input_ids": ids, "logits": bf16.contiguous()}, os.path.join(out, "..", "llama1b-ref-bf16.safetensors"))
save_file({"input_ids": ids, "logits": fp32.contiguous()}, os.path.join(out, "..", "llama1b-ref-fp32.safetensors"))
print("reference logits saved", tuple(fp32.shape))
