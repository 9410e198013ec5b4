"""A LAWCAT student exported by the Lawcat Workbench, as a Hugging Face causal language model.

    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained("my-student-hf", trust_remote_code=True)

Llama's classes with the attention of every converted layer swapped for LAWCAT's (lawcat_attention.py) and the layers
listed in `config.lawcat["softmax_layers"]` kept as softmax attention. Prefill runs the gated linear attention in the
form the options choose (chunked by default); generation decodes token by token through a LawcatCache, whose LAWCAT
layers hold a state of constant size (recurrent state, conv tails, window) and whose softmax layers hold keys and values.
Padding goes on the left, marked by a 2-D attention_mask; positions count real tokens only.
"""
import torch
import torch.nn.functional as F
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.models.llama.modeling_llama import LlamaForCausalLM, LlamaModel, LlamaPreTrainedModel

from .configuration_lawcat import LawcatConfig
from .lawcat_attention import build_attention, new_state, parse_options, token_positions

# LAWCAT's own parameters stay fp32 when the model is loaded in half precision, as the workbench keeps them.
KEEP_IN_FP32 = ["q_conv1d", "k_conv1d", "v_conv1d", "feature_map", "gk_proj", "g_norm", "window_factors"]


class LawcatCache:
    """Decoding state of every layer, and the attention mask of the tokens seen so far.

    Not a key/value cache: a LAWCAT layer's state does not grow with the sequence and cannot be cropped, so this model
    declines transformers' default DynamicCache and makes its own on the first forward with use_cache."""

    is_compileable = False

    def __init__(self, num_layers):
        self.states = [None] * num_layers
        self.seen_tokens = 0
        self.key_mask = None                                                            # [B, seen] bool, None when no padding

    def __len__(self):
        return len(self.states)

    def get_seq_length(self, layer_idx=0):
        """Tokens consumed so far."""
        return self.seen_tokens

    def state(self, layer_idx, attention):
        if self.states[layer_idx] is None:
            self.states[layer_idx] = new_state(attention)
        return self.states[layer_idx]

    def reorder_cache(self, beam_idx):
        """Keeps and reorders the batch rows `beam_idx` (beam search)."""
        for state in self.states:
            if state is not None:
                state.select(beam_idx)
        if self.key_mask is not None:
            self.key_mask = self.key_mask.index_select(0, beam_idx.to(self.key_mask.device))


class LawcatModel(LlamaModel):
    """LlamaModel whose layers run LAWCAT attention (or softmax attention where the export kept it)."""

    config_class = LawcatConfig
    _keep_in_fp32_modules = KEEP_IN_FP32
    _keep_in_fp32_modules_strict = KEEP_IN_FP32

    def __init__(self, config):
        super().__init__(config)
        section = getattr(config, "lawcat", None) or {}
        options = parse_options(section.get("options"))
        softmax_layers = set(section.get("softmax_layers") or [])
        bad = sorted(i for i in softmax_layers if not 0 <= i < config.num_hidden_layers)
        if bad:
            raise ValueError(f"lawcat.softmax_layers: layer {bad[0]} is out of range; the model has layers 0..{config.num_hidden_layers - 1}")
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        for i, layer in enumerate(self.layers):
            layer.self_attn = build_attention(i, softmax_layers, options, config.hidden_size, config.num_attention_heads,
                                              config.num_key_value_heads, head_dim, config.attention_bias)

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None, inputs_embeds=None,
                use_cache=None, output_hidden_states=None, return_dict=None, **kwargs):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        h = self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        b, t = h.shape[:2]
        use_cache = self.config.use_cache if use_cache is None else use_cache
        cache = _own_cache(past_key_values)
        if cache is None and use_cache:
            cache = LawcatCache(len(self.layers))
        past = cache.seen_tokens if cache is not None else 0
        key_mask = _key_mask(attention_mask, cache, b, t, past, h.device)               # [B, past + T] or None
        if position_ids is None:
            position_ids = token_positions(key_mask, past, t, h.device).expand(b, t)
        cos, sin = self.rotary_emb(h, position_ids)                                     # [B, T, D] each
        hidden_states = ()
        for i, layer in enumerate(self.layers):
            if output_hidden_states:
                hidden_states += (h,)
            state = cache.state(i, layer.self_attn) if cache is not None else None
            h = h + layer.self_attn(layer.input_layernorm(h), cos, sin, key_mask, past, state)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        h = self.norm(h)
        if output_hidden_states:
            hidden_states += (h,)
        if cache is not None:
            cache.seen_tokens += t
            cache.key_mask = key_mask
        out = BaseModelOutputWithPast(last_hidden_state=h, past_key_values=cache if use_cache else None,
                                      hidden_states=hidden_states if output_hidden_states else None)
        return out if return_dict is not False else out.to_tuple()


def _own_cache(past_key_values):
    """The LawcatCache passed in; None for none or for an empty cache of another kind (some transformers versions make
    one before the first forward). A filled cache of another kind cannot continue a LAWCAT state."""
    if past_key_values is None or isinstance(past_key_values, LawcatCache):
        return past_key_values
    if past_key_values.get_seq_length() == 0:
        return None
    raise TypeError(f"past_key_values is a {type(past_key_values).__name__}; a LAWCAT model continues only from the "
                    "LawcatCache it returned (its layers keep a recurrent state, not keys and values)")


def _key_mask(attention_mask, cache, b, t, past, device):
    """[B, past + T] bool marking real tokens, from a 2-D attention_mask over all tokens (or only the new ones, the
    earlier ones coming from the cache); None when no token is padding."""
    if attention_mask is None:
        if cache is None or cache.key_mask is None:
            return None
        attention_mask = torch.ones(b, t, dtype=torch.bool, device=device)
    if attention_mask.dim() != 2:
        raise ValueError(f"attention_mask must be 2-D [batch, tokens] (1 = real token, 0 = padding); got shape {tuple(attention_mask.shape)}")
    mask = attention_mask.bool()
    if mask.shape[1] == t and past > 0:
        earlier = cache.key_mask if cache.key_mask is not None else torch.ones(b, past, dtype=torch.bool, device=device)
        mask = torch.cat((earlier, mask), 1)
    if mask.shape[1] != past + t:
        raise ValueError(f"attention_mask covers {mask.shape[1]} tokens; expected {past + t} (past and new) or {t} (new)")
    return None if bool(mask.all()) else mask


class LawcatForCausalLM(LlamaForCausalLM):
    """LlamaForCausalLM over a LawcatModel: logits, loss with `labels`, and generate() decoding through a LawcatCache."""

    config_class = LawcatConfig
    _keep_in_fp32_modules = KEEP_IN_FP32
    _keep_in_fp32_modules_strict = KEEP_IN_FP32
    _is_stateful = True
    supports_gradient_checkpointing = False

    def __init__(self, config):
        LlamaPreTrainedModel.__init__(self, config)
        self.model = LawcatModel(config)
        self.vocab_size = config.vocab_size
        self.lm_head = torch.nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    @classmethod
    def _supports_default_dynamic_cache(cls):
        return False

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None, inputs_embeds=None,
                labels=None, use_cache=None, output_hidden_states=None, return_dict=None, logits_to_keep=0, **kwargs):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache,
                         output_hidden_states=output_hidden_states)
        h = out.last_hidden_state
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(h[:, keep, :])
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1).to(logits.device),
                                   ignore_index=-100)
        result = CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=out.past_key_values, hidden_states=out.hidden_states)
        return result if return_dict is not False else result.to_tuple()

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, attention_mask=None, inputs_embeds=None,
                                      use_cache=True, **kwargs):
        cache = _own_cache(past_key_values)
        past = cache.seen_tokens if cache is not None else 0
        inputs = {"past_key_values": cache, "attention_mask": attention_mask, "use_cache": use_cache, "logits_to_keep": 1}
        if inputs_embeds is not None and past == 0:
            inputs["inputs_embeds"] = inputs_embeds
        else:
            inputs["input_ids"] = input_ids[:, past:]
        return inputs

    def _reorder_cache(self, past_key_values, beam_idx):
        past_key_values.reorder_cache(beam_idx)
        return past_key_values
