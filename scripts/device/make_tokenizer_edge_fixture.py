"""Edge-case tokenizer fixture from Hugging Face, made on the GPU machine (it has tokenizers + transformers).

Covers what the 1,084 fidelity strings do not: Unicode corners of Llama-3's Split regex, GPT-2's ByteLevel regex
with add_prefix_space, added-token flags (lstrip/rstrip/single_word/normalized), Hugging Face's added-token id
rule, a Sequence post-processor (ByteLevel, then a BOS + EOS template), invalid UTF-8 in decode, and whether
tokenizers and transformers load the byte-level tokenizer that ByteLevelTokenizer.Save writes (and tokenize
as it documents).

Usage: python3 scripts/device/make_tokenizer_edge_fixture.py LLAMA3_TOKENIZER_JSON BYTE_LEVEL_FOLDER OUT_FILE
(BYTE_LEVEL_FOLDER holds tokenizer.json + tokenizer_config.json from ByteLevelTokenizer.Save.)
"""
import json
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer

VARIANT = "tests/fixtures/tokenizer/edge-variant.json"

LLAMA3_TEXTS = [
    "'s 'S 'ſ 'ſt X'ſ it'S 'K 'RE'Ve'LL'D'M'T", "''", "'s's", "don'tſ", "Y'ALL'D'VE", "ſ'ſ",
    " \u00a0x", "\u2028", "\u2029", "\u0085", "a\u0085b", "a\u180eb", "\u200b\u200b", "\u3000a", " \n \n  x", "\r\r\n\t x",
    "x  \t", "\t\tx", "\n x", " \u00a0\u00a0y", "a \u2003 b", "\x0b\x0c\x1c\x1d\x1e\x1f x", "   ", "\n", "\r", " \r\n ",
    "!hello", "\u00a0word", "\thello", "1abc", "_x", "\u0301abc", "a\u0301b", "e\u0301\u0301", "\u0640\u0641",
    "12345678", "\u0661\u0662\u0663\u0664", "\u216b\u216b\u216b\u216b", "\u00bd\u00be\u2153\u2154", "\U0001d7ce\U0001d7cf\U0001d7d0\U0001d7d1",
    "x\u00b2\u00b3\u2074\u2075", "1 2  3", "3.14159", "-42", "1,000,000",
    "\U0001d518\U0001d52b\U0001d526", " \U0001d544\U0001d552", "!\U0001d518", "\U00010348\U00010348", "\U0001f600a", "a\U0001f600\U0001f600b",
    " \U0001f600\n", "\U0001f1eb\U0001f1f7", "\U0001f468\u200d\U0001f469", "\U000e0001", "\U0010ffff", "\ue000", "\ufffd", "\ufeffx",
    "...\n\n\n", " ?!\r\n", "a.\r\nb", "--\n", "$$$ 100", " ' ", "'\n", "\u01c5ungla \u01c4", "\u0130stanbul",
    "<|eot_id|><|eot_id|>", "x<|eot_id|>y", " <|eot_id|> ", "<|reserved_special_token_250|>", "<|reserved_special_token_2500|>",
    "<|begin_of_text|><|begin_of_text|>", "<|eot_id|", "<<|eot_id|>>",
    "a" * 300, " " * 300, "9" * 10, "ab" * 200, "\n" * 20, "\u4e2d" * 50,
]

VARIANT_TEXTS = [
    "word", "a word b", "words", "sword", "word!", "_word", "word_", "word\u00e9", "\u00e9 word", "3word", "word3",
    "x <lstrip> y", "x   <lstrip>", "<lstrip><lstrip>", "x<rstrip>   y", "x <rstrip>\n\n y", "<rstrip> <lstrip>",
    "  <rstrip>  <lstrip>  ", "two words", "two wordsmith", "Hello", "Hello world", "HelloHello", " Hello",
    "<|eot_id|>++x", "<|eot_id|>+", "<rstrip> lead", "x lead", "lead", "a <both> b", "a<both>b", "<both>",
    "I'm here", "don't", "DON'T", " spaced", "  double", "\n\nx", "x  ", "\U0001d518\U0001d52b\U0001d526 \U0001d7ce\U0001d7cf \U0001f600",
    "", " ", "'s", "'S", "a'll", "12345", " 12345", "\u00a0x", "x\u00a0\u00a0y", "hi<|eot_id|>there", "<|eot_id|> x",
]

LLAMA3_DECODE = [[128000, 9906, 128009], [128000], [9906, 128256]]
VARIANT_DECODE = [[128259], [128261, 128258], [128256, 9906, 128262], [128000, 128259, 128001]]


def byte_ids(tok, data):
    """Ids of the byte-level symbols that stand for these bytes (GPT-2's bytes_to_unicode)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, n = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return [tok.token_to_id(table[b]) for b in data]


def encode_rows(tok, texts):
    return [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids,
             "ids_special": tok.encode(t, add_special_tokens=True).ids} for t in texts]


def decode_rows(tok, id_lists):
    return [{"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
             "decoded_skip": tok.decode(ids, skip_special_tokens=True)} for ids in id_lists]


def variant(llama3_json):
    spec = json.load(open(llama3_json, encoding="utf-8"))
    patch = json.load(open(VARIANT, encoding="utf-8"))
    spec["pre_tokenizer"] = patch["pre_tokenizer"]
    spec["post_processor"] = patch["post_processor"]
    spec["added_tokens"] += patch["extra_added_tokens"]
    return Tokenizer.from_str(json.dumps(spec))


BYTE_LEVEL_TEXTS = ["hi", "", "a<|end_of_text|>b<|pad|>", "\u00e9\U0001f600\x00\x7f\r\n", "<|begin_of_text|>x"]


def load_report(load):
    """What one way of loading the byte-level files gives, or the error it raised."""
    try:
        return load()
    except Exception as e:  # the fixture records the failure instead of aborting the other checks
        return {"error": f"{type(e).__name__}: {e}"}


def byte_level(folder):
    texts = BYTE_LEVEL_TEXTS

    def with_tokenizers():
        tok = Tokenizer.from_file(folder + "/tokenizer.json")
        return {"vocab_size": tok.get_vocab_size(), "rows": encode_rows(tok, texts),
                "decode": decode_rows(tok, [[256, 104, 105, 257, 258]])}

    def with_fast_from_file():
        fast = transformers.PreTrainedTokenizerFast(tokenizer_file=folder + "/tokenizer.json")
        return {"ids": [fast(t)["input_ids"] for t in texts], "len": len(fast)}

    def with_auto_from_folder():
        auto = transformers.AutoTokenizer.from_pretrained(folder)
        return {"class": type(auto).__name__, "ids": [auto(t)["input_ids"] for t in texts],
                "bos": auto.bos_token_id, "eos": auto.eos_token_id, "pad": auto.pad_token_id,
                "decoded": auto.decode(auto("a\u00e9<|pad|>")["input_ids"], skip_special_tokens=True)}

    return {"texts": texts, "tokenizers": load_report(with_tokenizers),
            "fast_from_file": load_report(with_fast_from_file), "auto_from_folder": load_report(with_auto_from_folder)}


if __name__ == "__main__":
    llama3_json, byte_folder, out_file = sys.argv[1:4]
    llama3 = Tokenizer.from_file(llama3_json)
    var = variant(llama3_json)
    fixture = {
        "tokenizers_version": tokenizers.__version__,
        "transformers_version": transformers.__version__,
        "llama3": encode_rows(llama3, LLAMA3_TEXTS),
        "llama3_decode": decode_rows(llama3, LLAMA3_DECODE + [byte_ids(llama3, b) for b in (
            b"\xf0\x9f\x98", b"\xc0\x80", b"\xed\xa0\x80", b"a\xe2\x82b", b"\xff\xfe", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80",
            b"\xf0\x9f\x98\x80", b"\x80\x80\x80", b"\xe2\x82\xe2\x82\xac")]),
        "variant": encode_rows(var, VARIANT_TEXTS),
        "variant_vocab_size": var.get_vocab_size(),
        "variant_decode": decode_rows(var, VARIANT_DECODE),
        "byte_level": byte_level(byte_folder),
    }
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=True, indent=0)
    print("written", out_file, {k: len(v) for k, v in fixture.items() if isinstance(v, list)})
