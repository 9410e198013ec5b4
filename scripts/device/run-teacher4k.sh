#!/usr/bin/env bash
# Makes the embedded tiny teacher on a CUDA machine with PyTorch: a 4-layer, hidden-256, byte-level Llama trained by
# `lawcat pretrain` on 4,096-byte sequences (half passkey samples), so that its context is 4x the main job's
# 1,024-byte distillation length. Then scores its passkey retrieval by length (100 samples each) and runs one
# distillation with the main job's options on the GPU, as a baseline for the levers. Needs .pack/ (pack.sh).
source scripts/device/env.sh
set -x
STEPS=${STEPS:-5600}
step 420 lawcat pretrain --out /tmp/tiny-teacher --device cuda --set sequence_length=4096 --set train.batch_size=8 \
  --set train.steps=$STEPS --set train.eval_every=500 --set checkpoint_every=1000 > $OUT/pretrain.log 2>&1
tail -5 $OUT/pretrain.log
tar -cJf $OUT/tiny-teacher.tar.xz -C /tmp tiny-teacher
step 150 lawcat eval passkey --model /tmp/tiny-teacher --device cuda --lengths 1k,2k,4k,8k --samples 100 --out /tmp/eval-teacher > $OUT/eval-teacher.log 2>&1
tail -12 $OUT/eval-teacher.log
