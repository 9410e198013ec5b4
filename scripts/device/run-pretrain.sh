#!/usr/bin/env bash
# GPU run 1 of the embedded teacher: trains data/tiny-teacher with `lawcat pretrain`, checks that Hugging Face loads it
# and agrees with our CUDA logits, and regenerates the fidelity fixtures. Needs .pack/ (scripts/device/pack.sh).
# Everything it makes goes to $OUT.
source scripts/device/env.sh
set -x
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
lawcat bench attention --device cuda --dtype bfloat16 --lengths 1k --methods sdpa,lawcat-op,lawcat-layer --iterations 1 --no-backward
lawcat pretrain --out /tmp/tiny-teacher --device cuda "$@" 2>&1 | tee $OUT/pretrain.log
python3 scripts/device/hf_check_tiny.py /tmp/tiny-teacher 2>&1 | tee $OUT/hf-check.log
lawcat generate --model /tmp/tiny-teacher --device cuda --max-new-tokens 10 \
  --prompt "$(python3 -c "g=' '.join(['The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.']*4); print('There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.\n'+g+'\nThe pass key is 27182. Remember it. 27182 is the pass key.\n'+g+'\nWhat is the pass key? The pass key is', end='')")" 2>&1 | tee -a $OUT/hf-check.log
lawcat bench model --model /tmp/tiny-teacher --reference /tmp/tiny-reference.safetensors --device cuda --no-student --prefill 1k --decode 1k 2>&1 | tee -a $OUT/hf-check.log
tar -cJf $OUT/tiny-teacher.tar.xz -C /tmp tiny-teacher
python3 scripts/device/make_fixtures.py "$LLAMA3_TOKENIZER_DIR/tokenizer.json" /tmp/fx > $OUT/fixtures.log 2>&1 && tar -czf $OUT/fixtures.tgz -C /tmp/fx .
