"""Text analysis shared by indexing and querying: one tokenizer, so a document and a query see the same words.

Words are casefolded and stripped of accents; dotted and slashed codes stay whole ("C34.9", "8046/3") so a
code query matches the code, while hyphens split ("non-small" -> "non", "small"). Stop words are dropped from
queries only. Typo tolerance is one edit (Damerau, adjacent transposition) between a query word and an
indexed word that both have five letters or more (so "NSCLC" never finds "SCLC"), found through a deletion
index of the indexed vocabulary (symmetric delete): exact and cheap.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TOKEN = re.compile(r"[0-9a-z]+(?:[./][0-9a-z]+)*")
TYPO_MIN_LENGTH = 5
STOP_WORDS = frozenset(
    "a an and are as at be by for from in into is of on or the to with without".split()
)


def fold(text: str) -> str:
    """Casefold and remove accents ("Cáncer" -> "cancer")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The words of a text, in order, with repeats."""
    return TOKEN.findall(fold(text))


def token_set(texts: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for text in texts:
        if text:
            out.update(tokens(str(text)))
    return out


def query_words(text: str) -> list[str]:
    """The words of a query that must match: distinct, in order, stop words removed."""
    seen: list[str] = []
    for word in tokens(text):
        if word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen


def deletions(word: str) -> set[str]:
    """The word with one character removed, every way."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or adjacent transposition."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    # b is one longer: removing one character of b gives a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


class TypoIndex:
    """Find indexed words one edit away from a query word (symmetric delete over the indexed vocabulary)."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._by_deletion: dict[str, list[str]] = {}
        self._words: set[str] = set()
        for word in vocabulary:
            if len(word) < TYPO_MIN_LENGTH or word.isdigit():
                continue
            self._words.add(word)
            for key in (word, *deletions(word)):
                self._by_deletion.setdefault(key, []).append(word)

    def near(self, word: str) -> set[str]:
        """Indexed words within one edit of `word` (excluding the word itself); empty for short words."""
        if len(word) < TYPO_MIN_LENGTH or word.isdigit():
            return set()
        found: set[str] = set()
        for key in (word, *deletions(word)):
            for candidate in self._by_deletion.get(key, ()):
                if candidate != word and within_one_edit(word, candidate):
                    found.add(candidate)
        return found
