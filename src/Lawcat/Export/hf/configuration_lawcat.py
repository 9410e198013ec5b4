"""Configuration of a LAWCAT student exported by the Lawcat Workbench (`lawcat export --format hf`).

A Llama configuration plus the `lawcat` section the workbench writes: `options` (the LAWCAT switches, see
lawcat_attention.DEFAULT_OPTIONS) and `softmax_layers` (layers that kept the teacher's softmax attention). The section
is stored as an ordinary config attribute, so the class adds nothing to Llama's constructor.
"""
from transformers import LlamaConfig


class LawcatConfig(LlamaConfig):
    """LlamaConfig with model_type `lawcat_llama`; `config.lawcat` holds {"options": {...}, "softmax_layers": [...]}."""

    model_type = "lawcat_llama"
