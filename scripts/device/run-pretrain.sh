#!/usr/bin/env bash
# GPU run that makes the embedded teacher (data/tiny-teacher): a short probe measures throughput, then
# `lawcat pretrain` trains for as many updates as fit in about four minutes; Hugging Face then loads the folder and
# its logits are compared with ours on CUDA. Also regenerates the fidelity fixtures. Needs .pack/ (pack.sh).
source scripts/device/env.sh
set -x
lawcat bench attention --device cuda --dtype bfloat16 --lengths 1k --methods sdpa,lawcat-op,lawcat-layer --iterations 1 --no-backward
lawcat pretrain --out /tmp/probe --device cuda --set train.steps=30 --set train.eval_every=30 --set passkey_eval_samples=1 > $OUT/probe.log 2>&1
steps=$(python3 -c "import json,statistics as s;r=[json.loads(l) for l in open('/tmp/probe/training-log.jsonl') if 'tokens_per_s' in l];t=s.median(x['tokens_per_s'] for x in r[10:]);print(max(500,min(8000,int(${TRAIN_SECONDS:-240}*t/32768))))")
lawcat pretrain --out /tmp/tiny-teacher --device cuda --set train.steps=$steps 2>&1 | tee $OUT/pretrain.log
python3 scripts/device/hf_check_tiny.py /tmp/tiny-teacher 2>&1 | tee $OUT/hf-check.log
prompt=$(python3 -c "g=' '.join(['The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.']*4); print('There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.\n'+g+'\nThe pass key is 27182. Remember it. 27182 is the pass key.\n'+g+'\nWhat is the pass key? The pass key is', end='')")
lawcat generate --model /tmp/tiny-teacher --device cuda --max-new-tokens 10 --prompt "$prompt" 2>&1 | tee -a $OUT/hf-check.log
lawcat bench model --model /tmp/tiny-teacher --reference /tmp/tiny-reference.safetensors --device cuda --no-student --prefill 1k --decode 1k 2>&1 | tee -a $OUT/hf-check.log
tar -cJf $OUT/tiny-teacher.tar.xz -C /tmp tiny-teacher
python3 scripts/device/make_fixtures.py "$LLAMA3_TOKENIZER_DIR/tokenizer.json" /tmp/fx > $OUT/fixtures.log 2>&1 && tar -czf $OUT/fixtures.tgz -C /tmp/fx .
