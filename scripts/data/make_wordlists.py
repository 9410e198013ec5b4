"""Writes data/wordlists/adjectives.txt and nouns.txt: the words RULER-style needle keys ("adjective-noun") are
drawn from.

Source: WordNet 3.0 as Debian's `wordnet-base` package installs it (`apt-get install wordnet-base`), under the
WordNet 3.0 licence (see data/wordlists/README.md). A word is kept when
  * it is a plain lowercase word of 3 to 12 letters,
  * its senses for that part of speech are tagged at least MIN_TAG_COUNT times in WordNet's sense-tagged corpus
    (cntlist.rev): the tag count stands in for "common enough that a reader knows it",
  * and no sense of it marks it as something a key should not say: number words, words WordNet files under a
    slur, obscenity, slang or trade-name usage domain, adjectives that merely pertain to a noun (mostly
    nationalities: "french"), nouns for peoples, nations, religions or orientations, and a short list by hand.
Deterministic: run it from the repository root to regenerate the files byte for byte.
"""
import collections
import os
import re
import sys

WORDNET = os.environ.get("WORDNET_DIR", "/usr/share/wordnet")
OUT = "data/wordlists"
MIN_TAG_COUNT = 3
SYNSET_TYPE_TO_POS = {"1": "noun", "3": "adjective", "5": "adjective"}
# Satellite adjectives headed by these are number words ("seven", "tenth"), not descriptions.
NUMBER_HEADS = {"cardinal", "ordinal"}
EXCLUDED_USAGE_DOMAINS = {"ethnic_slur", "obscenity", "disparagement", "slang", "vulgarism", "colloquialism",
                          "trade_name", "trademark"}
EXCLUDED_NOUN_ANCESTORS = {"inhabitant", "native", "ethnic_group", "race", "religious_person", "religionist",
                           "homosexual", "nationality", "people"}
PERTAINYM_LEXFILE = 1  # adj.pert
# Left out by hand after reading the lists: WordNet does not mark these.
DENIED = {"whore", "pussy", "jew", "gay", "prostitute", "mistress", "slave", "nude", "naked", "sexual", "sex",
          "drunk", "bitch", "kill", "killer", "murder", "suicide", "rape", "corpse", "dead", "god", "christ",
          "christian", "catholic", "protestant", "negro", "nazi", "communist", "fascist", "queer", "erotic", "pimp"}


def read_synsets(path):
    """offset -> (lexfile number, lowercase lemmas, [(pointer symbol, target offset)])."""
    synsets = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split(" | ")[0].split()
            lemma_count = int(fields[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).lower() for i in range(lemma_count)]
            at = 4 + 2 * lemma_count
            pointers = [(fields[at + 1 + 4 * k], fields[at + 2 + 4 * k]) for k in range(int(fields[at]))]
            synsets[fields[0]] = (int(fields[1]), lemmas, pointers)
    return synsets


def ancestors(nouns, offset):
    seen, stack = set(), [offset]
    while stack:
        for symbol, target in nouns[stack.pop()][2]:
            if symbol in ("@", "@i") and target not in seen:
                seen.add(target)
                stack.append(target)
    return {lemma for target in seen for lemma in nouns[target][1]}


def excluded_lemmas(nouns, adjectives):
    excluded = {"noun": set(DENIED), "adjective": set(DENIED)}
    for pos, synsets in (("noun", nouns), ("adjective", adjectives)):
        for offset, (lexfile, lemmas, pointers) in synsets.items():
            domains = {nouns[target][1][0] for symbol, target in pointers if symbol == ";u"}
            bad = bool(domains & EXCLUDED_USAGE_DOMAINS)
            bad |= pos == "adjective" and lexfile == PERTAINYM_LEXFILE
            bad |= pos == "noun" and bool(ancestors(nouns, offset) & EXCLUDED_NOUN_ANCESTORS)
            if bad:
                excluded[pos].update(lemmas)
    return excluded


def tag_counts(path):
    counts = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            sense_key, _sense_number, count = line.split()
            lemma, lex_sense = sense_key.split("%")
            ss_type, _lexfile, _lex_id, head_word, _head_id = lex_sense.split(":")
            pos = SYNSET_TYPE_TO_POS.get(ss_type)
            if pos is None or head_word in NUMBER_HEADS:
                continue
            counts[(pos, lemma)] += int(count)
    return counts


def main():
    if not os.path.exists(os.path.join(WORDNET, "cntlist.rev")):
        sys.exit(f"WordNet not found in {WORDNET}: install Debian's wordnet-base (apt-get install wordnet-base) "
                 "or set WORDNET_DIR")
    counts = tag_counts(os.path.join(WORDNET, "cntlist.rev"))
    excluded = excluded_lemmas(read_synsets(os.path.join(WORDNET, "data.noun")),
                               read_synsets(os.path.join(WORDNET, "data.adj")))
    os.makedirs(OUT, exist_ok=True)
    for pos, file_name in (("adjective", "adjectives.txt"), ("noun", "nouns.txt")):
        words = sorted(lemma for (p, lemma), n in counts.items()
                       if p == pos and n >= MIN_TAG_COUNT and re.fullmatch(r"[a-z]{3,12}", lemma)
                       and lemma not in excluded[pos])
        with open(os.path.join(OUT, file_name), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(words) + "\n")
        print(f"{file_name}: {len(words)} words")


if __name__ == "__main__":
    main()
