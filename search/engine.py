"""An in-process search engine over the indexed documents: inverted lists, facet columns and range columns.

Why in memory and not SQL: facet counts over every facet are a GROUP BY per facet on the matched set, which
at 100,000 datasets costs hundreds of milliseconds in SQLite and tens in PostgreSQL (bench/search.py has the
figures), while a column of (document, value) pairs counted with `numpy.bincount` under a boolean mask costs
about a millisecond per facet. A `Snapshot` is immutable and names the catalogue state it answers for (`key`);
the embedded backend builds one from the document rows, then derives the next one from it with
`Snapshot.applied` (only the documents that changed are read again), so a write costs the next search
milliseconds instead of a full rebuild.

Slots: a document lives in one slot (a row of every column). A full build lays the documents out in title
order (title, then identifier). `applied` never moves a slot: a deleted or replaced document's slot is marked
dead (`live` is False: masked out of every answer) and a new or replaced document is appended at the end, so
`order` (the live slots in title order) is kept beside the columns; every stable sort starts from it, so ties
break on title then identifier whatever the slots. Dead slots are dropped by the next full build, which the
backend runs when their share passes `COMPACT_DEAD_SHARE` (`dead_share`).

Facet labels: a code's label is the first label other than the code itself that a document gives it, in
title order for a full build and in write order for an applied change. Documents give the same label to the
same code (they are built from one vocabulary), so the two agree; after a vocabulary relabels a code, the next
full build takes the new label. The query semantics are those of `search.query`.
"""

from __future__ import annotations

import bisect
import copy
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

from search.query import FACETS, FacetValue, Range, SearchQuery, SearchResult, Suggestion
from search.text import TypoIndex, query_words, tokens

TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("description", 1.0), ("publisher", 2.0), ("keywords", 3.0), ("concepts", 4.0), ("titles", 8.0),
)
"""Text fields and their weights, lowest first (a word's score in a document is its best field's weight)."""
TYPO_FACTOR = 0.5
HIERARCHICAL_FACETS = frozenset({"cancer_type"})
AUTOCOMPLETE_FACETS = ("cancer_type", "modality", "body_part")
RANGE_COLUMNS = ("subjects", "studies", "series", "size", "age_min", "age_max", "year_min", "year_max")
INTERVAL_RANGES = {"age": ("age_min", "age_max"), "years": ("year_min", "year_max")}
SMALL_HIT_SHARE = 0.25
COMPACT_DEAD_SHARE = 0.2
"""Above this share of dead slots the backend rebuilds instead of applying (dead slots cost memory and time)."""
_MEMO_TEXT_LENGTH = 200  # texts shorter than this repeat across documents (labels, keywords): tokenized once
_EMPTY_SLOTS = np.zeros(0, dtype=np.int32)
_PLAIN_NUMBERS = frozenset({int, float, type(None)})


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a build allocates millions of small acyclic objects.

    Decoding and walking 100,000 documents creates tens of millions of strings, lists and dicts; every few
    hundred allocations the collector walks the young objects, and the older generations (ever larger while
    the documents are held) again and again: measured here, json.loads of 100,000 document bodies takes 7 s
    with the collector running and 3.3 s without. Nothing a build allocates forms a reference cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Facet:
    values: list[str]
    index: dict[str, int]
    labels: list[str]
    offsets: np.ndarray  # per slot: start of its values in `flat` (length n + 1)
    flat: np.ndarray  # value indexes, slot by slot
    pair_slot: np.ndarray  # the slot of each entry of `flat`
    postings: list[np.ndarray]  # per value: the slots that have it (dead slots included: queries mask them)
    all_counts: np.ndarray  # per value: how many live documents have it
    parents: dict[str, str | None]


_NO_FACET = _Facet(values=[], index={}, labels=[], offsets=np.zeros(1, dtype=np.int64), flat=np.zeros(0, dtype=np.int32),
                   pair_slot=np.zeros(0, dtype=np.int32), postings=[], all_counts=np.zeros(0, dtype=np.int64), parents={})


def _sort_key(identifier: str, body: Mapping[str, Any]) -> tuple[str, str]:
    return ((body.get("sort") or {}).get("title") or str(body.get("title", "")).casefold(), identifier)


class Snapshot:
    """An immutable index of one catalogue state; `key` names that state (the backend's database and position).

    Build one from (identifier, document) rows; `applied` returns the next one without touching this one, so
    a search running on this snapshot in another thread is never disturbed.
    """

    key: Any
    n: int  # slots, dead ones included
    n_live: int
    ids: list[str]
    titles: list[str]
    sort_keys: list[tuple[str, str]]
    live: np.ndarray | None  # None: every slot is live
    slot_of: dict[str, int]  # identifier -> its live slot
    order: np.ndarray | None  # live slots in title order; None: every slot is live and in title order
    _ordered_keys: list[tuple[str, str]] | None  # sort keys of `order` (None: `sort_keys` is already ordered)
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    typos: TypoIndex
    _added_words: frozenset[str]  # words first seen after the full build (typo index of their own)
    _typos_added: TypoIndex | None
    facets: dict[str, _Facet]
    ranges: dict[str, np.ndarray]
    sort_subjects: np.ndarray
    sort_studies: np.ndarray
    sort_modified: np.ndarray
    _modified_values: list[str]  # distinct "modified" values, sorted: `sort_modified` holds ranks into it
    _complete: list[tuple[str, str, str]] | None  # autocomplete entries, built on first use
    _complete_keys: list[str] | None
    _complete_concepts: frozenset[tuple[str, str]]  # (facet, code) pairs that have entries

    def __init__(self, rows: Iterable[tuple[str, Mapping[str, Any]]], *, key: Any = None) -> None:
        with gc_paused():
            entries = sorted(((_sort_key(identifier, body), identifier, body) for identifier, body in rows),
                             key=itemgetter(0))
            self.key = key
            self.n = self.n_live = 0
            self.ids, self.titles, self.sort_keys = [], [], []
            self.live = None
            self.slot_of = {}
            self.order = None
            self._ordered_keys = None
            self.postings = {}
            self._added_words = frozenset()
            self._typos_added = None
            self.facets = {name: _NO_FACET for name in FACETS}
            self.ranges = {name: np.zeros(0) for name in RANGE_COLUMNS}
            self.sort_subjects = self.sort_studies = self.sort_modified = np.zeros(0)
            self._modified_values = []
            self._complete = self._complete_keys = None
            self._complete_concepts = frozenset()
            self._append(entries, full=True)
            self.typos = TypoIndex(self.postings)

    # ---------------------------------------------------------------------------------------------- apply

    @property
    def dead_share(self) -> float:
        """The share of slots held by deleted or replaced documents."""
        return (self.n - self.n_live) / self.n if self.n else 0.0

    def applied(self, changes: Mapping[str, Mapping[str, Any] | None], *, key: Any) -> Snapshot:
        """The next snapshot: `changes` maps each changed identifier to its current document, None when gone.

        A changed document's old slot dies and its current version (if any) is appended; everything this
        snapshot holds is shared or copied, never modified.
        """
        new = copy.copy(self)
        new.key = key
        with gc_paused():
            gone = [self.slot_of[identifier] for identifier in changes if identifier in self.slot_of]
            added = sorted(((_sort_key(identifier, body), identifier, body) for identifier, body in changes.items()
                            if body is not None), key=itemgetter(0))
            new._materialize_order()
            if gone:
                new._remove(gone)
            if added:
                new._append(added)
            elif gone:
                new._recount()
        return new

    def _materialize_order(self) -> None:
        if self.order is None:
            self.order = np.arange(self.n, dtype=np.int32)
            self._ordered_keys = list(self.sort_keys)

    def _remove(self, slots: list[int]) -> None:
        live = np.ones(self.n, dtype=bool) if self.live is None else self.live.copy()
        live[slots] = False
        self.live = live
        self.n_live -= len(slots)
        self.slot_of = dict(self.slot_of)
        for slot in slots:
            del self.slot_of[self.ids[slot]]
        assert self._ordered_keys is not None and self.order is not None
        keys = self._ordered_keys
        positions = sorted(bisect.bisect_left(keys, self.sort_keys[slot]) for slot in slots)
        if len(positions) > 64:
            dropped = set(positions)
            self._ordered_keys = [k for i, k in enumerate(keys) if i not in dropped]
        else:
            keys = list(keys)
            for position in reversed(positions):
                del keys[position]
            self._ordered_keys = keys
        self.order = np.delete(self.order, positions)

    def _append(self, entries: Sequence[tuple[tuple[str, str], str, Mapping[str, Any]]], *, full: bool = False) -> None:
        """Append documents (sorted by sort key) as new slots; every structure is replaced, never modified.

        `full`: the first append of a full build (the caller builds the typo index over the whole vocabulary).
        """
        base, k = self.n, len(entries)
        sort_keys = [e[0] for e in entries]
        identifiers = [e[1] for e in entries]
        docs = [e[2] for e in entries]
        if self.order is not None:
            assert self._ordered_keys is not None
            positions = [bisect.bisect_left(self._ordered_keys, sk) for sk in sort_keys]
            self.order = np.insert(self.order, positions, np.arange(base, base + k, dtype=np.int32))
            if k > 64:
                self._ordered_keys = sorted(self._ordered_keys + sort_keys)
            else:
                keys = list(self._ordered_keys)
                for position, sk in zip(reversed(positions), reversed(sort_keys), strict=True):
                    keys.insert(position, sk)
                self._ordered_keys = keys
        self.n = base + k
        self.n_live += k
        self.ids = self.ids + identifiers
        self.titles = self.titles + [str(body.get("title", "")) for body in docs]
        self.sort_keys = self.sort_keys + sort_keys
        self.slot_of = {**self.slot_of, **{identifier: base + i for i, identifier in enumerate(identifiers)}}
        if self.live is not None:
            self.live = np.concatenate([self.live, np.ones(k, dtype=bool)])
        self._append_text(docs, base, full=full)
        self._append_facets(docs, base)
        self._append_ranges(docs)
        if self._complete is not None:
            self._complete_append(base)

    def _append_text(self, docs: Sequence[Mapping[str, Any]], base: int, *, full: bool) -> None:
        added = _text_postings(docs, base)
        if full:
            self.postings = added
            return
        postings = dict(self.postings)
        new_words = []
        for word, (slots, weights) in added.items():
            old = postings.get(word)
            if old is None:
                postings[word] = (slots, weights)
                new_words.append(word)
            else:
                postings[word] = (np.concatenate([old[0], slots]), np.concatenate([old[1], weights]))
        self.postings = postings
        if new_words:
            self._added_words = self._added_words | frozenset(new_words)
            self._typos_added = TypoIndex(self._added_words)

    def _append_facets(self, docs: Sequence[Mapping[str, Any]], base: int) -> None:
        facet_dicts = [body.get("facets") or {} for body in docs]
        self.facets = {name: _facet_appended(self.facets[name], name, docs, facet_dicts, base, self.live) for name in FACETS}

    def _recount(self) -> None:
        self.facets = {name: _counted(facet, self.live) for name, facet in self.facets.items()}

    def _append_ranges(self, docs: Sequence[Mapping[str, Any]]) -> None:
        ranges = [body.get("ranges") or {} for body in docs]
        sorts = [body.get("sort") or {} for body in docs]
        self.ranges = {name: np.concatenate([self.ranges[name], _numbers(r.get(name) for r in ranges)])
                       for name in RANGE_COLUMNS}
        self.sort_subjects = np.concatenate([self.sort_subjects, _numbers(s.get("subjects") for s in sorts)])
        self.sort_studies = np.concatenate([self.sort_studies, _numbers(s.get("studies") for s in sorts)])
        modified = [str(s.get("modified") or "") for s in sorts]
        known = set(self._modified_values)
        fresh = {m for m in modified if m and m not in known}
        if fresh:  # new dates: re-rank every slot (a dense rank keeps "modified" a float column)
            values = sorted(known | fresh)
            rank = {m: i for i, m in enumerate(values)}
            remap = np.array([rank[m] for m in self._modified_values] or [0], dtype=np.float64)
            old = self.sort_modified
            ranked = np.full(old.shape, np.nan)
            present = ~np.isnan(old)
            ranked[present] = remap[old[present].astype(np.int64)]
            self._modified_values = values
        else:
            rank = {m: i for i, m in enumerate(self._modified_values)}
            ranked = self.sort_modified
        added = np.array([rank[m] if m else np.nan for m in modified], dtype=np.float64)
        self.sort_modified = np.concatenate([ranked, added])

    # ---------------------------------------------------------------------------------------------- query

    def search(self, query: SearchQuery) -> SearchResult:
        mask = np.ones(self.n, dtype=bool) if self.live is None else self.live.copy()
        score: np.ndarray | None = None
        words = query_words(query.text)
        if words:
            score = np.zeros(self.n, dtype=np.float32)
            for word in words:
                term = self._term_scores(word)
                mask &= term > 0
                score += term
        for name, codes in query.filters.items():
            if not codes:
                continue
            facet = self.facets[name]
            if name == "modality" and query.modality_match == "all":
                for code in codes:
                    mask &= self._has(facet, [code])
            else:
                mask &= self._has(facet, codes)
        for name, bounds in query.ranges.items():
            mask &= self._in_range(name, bounds)
        hits = np.flatnonzero(mask) if self.order is None else self.order[mask[self.order]]  # title order
        order = self._sorted(hits, query.sort, score)
        start = (query.page - 1) * query.page_size
        page = order[start:start + query.page_size]
        facets = {name: self._count(name, mask, hits) for name in query.facets}
        return SearchResult(identifiers=[self.ids[i] for i in page], total=int(hits.size), facets=facets)

    def _near(self, word: str) -> set[str]:
        near = self.typos.near(word)
        if self._typos_added is not None:
            near |= self._typos_added.near(word)
        return near

    def _term_scores(self, word: str) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for near in self._near(word):
            slots, weights = self.postings[near]
            out[slots] = np.maximum(out[slots], weights * TYPO_FACTOR)
        if word in self.postings:
            slots, weights = self.postings[word]
            out[slots] = np.maximum(out[slots], weights)
        return out

    def _has(self, facet: _Facet, codes: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for code in codes:
            i = facet.index.get(code)
            if i is not None:
                out[facet.postings[i]] = True
        return out

    def _in_range(self, name: str, bounds: Range) -> np.ndarray:
        if bounds.low is None and bounds.high is None:
            return np.ones(self.n, dtype=bool)
        low_col, high_col = (self.ranges[c] for c in INTERVAL_RANGES[name]) if name in INTERVAL_RANGES else (
            self.ranges[name], self.ranges[name])
        with np.errstate(invalid="ignore"):
            ok = ~np.isnan(low_col) & ~np.isnan(high_col)
            if bounds.low is not None:
                ok &= high_col >= bounds.low
            if bounds.high is not None:
                ok &= low_col <= bounds.high
        return ok

    def _sorted(self, hits: np.ndarray, sort: str, score: np.ndarray | None) -> np.ndarray:
        """`hits` in the requested order; `hits` comes in title order, and every sort here is stable."""
        field = sort.lstrip("-")
        descending = sort.startswith("-")
        if field == "relevance":
            if score is None:
                return hits
            return hits[np.argsort(-score[hits], kind="stable")]
        if field == "title":
            return hits[::-1] if descending else hits
        column = {"subjects": self.sort_subjects, "studies": self.sort_studies, "modified": self.sort_modified}[field]
        keys = column[hits]
        if descending:
            keys = -keys  # NaN stays NaN: missing values sort last either way
        return hits[np.argsort(keys, kind="stable")]

    def _count(self, name: str, mask: np.ndarray, hits: np.ndarray) -> list[FacetValue]:
        facet = self.facets[name]
        if hits.size == self.n_live:
            counts = facet.all_counts
        elif hits.size < SMALL_HIT_SHARE * self.n:
            starts = facet.offsets[hits]
            lengths = facet.offsets[hits + 1] - starts
            total = int(lengths.sum())
            if total:
                shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
                counts = np.bincount(facet.flat[np.arange(total) + shift], minlength=len(facet.values))
            else:
                counts = np.zeros(len(facet.values), dtype=np.int64)
        else:
            counts = np.bincount(facet.flat[mask[facet.pair_slot]], minlength=len(facet.values))
        present = [(facet.values[i], facet.labels[i], int(counts[i])) for i in np.flatnonzero(counts)]
        present.sort(key=lambda v: (-v[2], v[0]))
        if name not in HIERARCHICAL_FACETS:
            return [FacetValue(value=v, label=label, count=c) for v, label, c in present]
        return _tree(present, facet.parents)

    # --------------------------------------------------------------------------------------- autocomplete

    def _complete_entries(self, slots: Iterable[int], facet_values: Mapping[str, Iterable[int]]) -> list[tuple[str, str, str]]:
        entries: set[tuple[str, str, str]] = set()
        for name, indexes in facet_values.items():
            facet = self.facets[name]
            for i in indexes:
                for text in (facet.labels[i], facet.values[i]):
                    for key in _word_starts(text):
                        entries.add((key, name, facet.values[i]))
        for slot in slots:
            for key in _word_starts(self.titles[slot]):
                entries.add((key, "dataset", str(slot)))
        return sorted(entries)

    def _complete_build(self) -> None:
        """Sorted (key, kind, value) entries: every word start of every concept label and dataset title.

        Built on the first autocomplete, not with the snapshot: searches never need it.
        """
        with gc_paused():
            values = {name: range(len(self.facets[name].values)) for name in AUTOCOMPLETE_FACETS}
            entries = self._complete_entries(range(self.n), values)
            self._complete_concepts = frozenset((name, v) for name in AUTOCOMPLETE_FACETS for v in self.facets[name].values)
            self._complete_keys = [e[0] for e in entries]
            self._complete = entries

    def _complete_append(self, base: int) -> None:
        """Add the entries of the slots from `base` on and of concept values seen for the first time."""
        assert self._complete is not None and self._complete_keys is not None
        fresh = {name: [i for i, v in enumerate(self.facets[name].values) if (name, v) not in self._complete_concepts]
                 for name in AUTOCOMPLETE_FACETS}
        added = self._complete_entries(range(base, self.n), fresh)
        if len(added) > 256:
            entries = sorted(self._complete + added)
            keys = [e[0] for e in entries]
        else:
            entries, keys = list(self._complete), list(self._complete_keys)
            for entry in added:
                position = bisect.bisect_left(entries, entry)
                if position == len(entries) or entries[position] != entry:
                    entries.insert(position, entry)
                    keys.insert(position, entry[0])
        self._complete_concepts = self._complete_concepts | {(name, self.facets[name].values[i])
                                                             for name, indexes in fresh.items() for i in indexes}
        self._complete_keys = keys
        self._complete = entries

    def autocomplete(self, prefix: str, limit: int) -> list[Suggestion]:
        key = " ".join(tokens(prefix))
        if not key:
            return []
        if prefix[-1:].isspace():
            key += " "
        if self._complete is None:
            self._complete_build()
        assert self._complete is not None and self._complete_keys is not None
        complete, keys = self._complete, self._complete_keys
        lo = bisect.bisect_left(keys, key)
        concepts: dict[tuple[str, str], Suggestion] = {}
        datasets: dict[str, Suggestion] = {}
        for entry_key, kind, value in complete[lo:]:
            if not entry_key.startswith(key):
                break
            if kind == "dataset":
                slot = int(value)
                if self.live is None or self.live[slot]:
                    datasets.setdefault(self.ids[slot], Suggestion("dataset", self.ids[slot], self.titles[slot], 1))
            elif (kind, value) not in concepts:
                facet = self.facets[kind]
                i = facet.index[value]
                if facet.all_counts[i]:
                    concepts[(kind, value)] = Suggestion(kind, value, facet.labels[i], int(facet.all_counts[i]))
        ranked = sorted(concepts.values(), key=lambda s: (-s.count, s.label, s.kind, s.value))
        ranked += sorted(datasets.values(), key=lambda s: (s.label.casefold(), s.value))
        return ranked[:limit]


# -------------------------------------------------------------------------------------------------- builders


def _numbers(values: Iterable[Any]) -> np.ndarray:
    """A float column: ints and floats as they are, anything else (None, "<10", booleans) NaN."""
    values = list(values)
    if set(map(type, values)) <= _PLAIN_NUMBERS:  # the documents' shape: numpy converts None to NaN itself
        return np.array(values, dtype=np.float64)
    return np.array([v if type(v) is int or type(v) is float else np.nan for v in values], dtype=np.float64)


class _Vocabulary(dict[str, int]):
    """Word -> id, a new word getting the next id on first lookup (so a text maps to ids with one C-level `map`)."""

    def __missing__(self, word: str) -> int:
        self[word] = found = len(self)
        return found


def _text_postings(docs: Sequence[Mapping[str, Any]], base: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Inverted lists of `docs` (slots from `base`): word -> (ascending slots, weight of the best field).

    Every text becomes a tuple of integer word ids, tokenized once per distinct short text (concept labels,
    synonyms and keywords repeat across documents), and each document's fields are laid end to end in one
    flat list. Then each (word, slot, field) becomes one integer, `((word * k) + slot) * 8 + field rank`: one
    sort groups the pairs, and the last of each group carries the best field. No per-word work per document
    in Python: a field's ids are gathered by `map` over the memo.
    """
    vocabulary = _Vocabulary()
    memo: dict[Any, tuple[int, ...]] = {"": ()}
    to_id = vocabulary.__getitem__

    def text_ids(text: Any) -> tuple[int, ...]:
        if not text:
            return ()
        try:
            found = memo.get(text)
        except TypeError:  # unhashable (never from search.documents): tokenized as its text, not memoized
            return tuple(map(to_id, tokens(str(text))))
        if found is None:
            found = tuple(map(to_id, tokens(str(text))))
            if not isinstance(text, str) or len(text) < _MEMO_TEXT_LENGTH:
                memo[text] = found
        return found

    lookup = memo.__getitem__
    word_ids: list[int] = []
    lengths: list[int] = []
    fields = [field for field, _ in TEXT_FIELDS]
    for body in docs:
        get = body.get
        for field in fields:
            value = get(field)
            if not value:
                lengths.append(0)
                continue
            if not isinstance(value, list | tuple):
                ids = text_ids(value)  # a description: usually unique, so no memo lookup that would fail first
            elif len(value) == 1:
                ids = text_ids(value[0])  # a single title
            else:
                try:
                    ids = list(chain.from_iterable(map(lookup, value)))
                except (KeyError, TypeError):  # a text not seen yet, or not a string: one by one
                    ids = [i for text in value if text for i in text_ids(text)]
            word_ids.extend(ids)
            lengths.append(len(ids))
    k = len(docs)
    if not word_ids:
        return {}
    per_field = np.asarray(lengths, dtype=np.int64).reshape(k, len(TEXT_FIELDS))
    local = np.repeat(np.arange(k, dtype=np.int64), per_field.sum(axis=1))
    rank = np.repeat(np.tile(np.arange(len(TEXT_FIELDS), dtype=np.int64), k), per_field.ravel())
    code = (np.asarray(word_ids, dtype=np.int64) * k + local) * 8 + rank
    code.sort()
    pair = code >> 3
    last = np.flatnonzero(np.concatenate([pair[1:] != pair[:-1], [True]]))
    best = np.asarray([w for _, w in TEXT_FIELDS], dtype=np.float32)[code[last] & 7]
    unique = pair[last]
    word_of = unique // k
    slots = (unique % k + base).astype(np.int32)
    bounds = np.searchsorted(word_of, np.arange(len(vocabulary) + 1))
    return {word: (slots[bounds[i]:bounds[i + 1]], best[bounds[i]:bounds[i + 1]])
            for word, i in vocabulary.items() if bounds[i + 1] > bounds[i]}


def _facet_appended(facet: _Facet, name: str, docs: Sequence[Mapping[str, Any]], facet_dicts: Sequence[Mapping[str, Any]],
                    base: int, live: np.ndarray | None) -> _Facet:
    """`facet` with the values of `docs` (slots from `base`; `facet_dicts` their "facets") appended.

    `facet` itself is left as it was. Lists of codes repeat across documents: each distinct list is mapped to
    value indexes once.
    """
    index = dict(facet.index)
    labels = list(facet.labels)
    parents = dict(facet.parents)
    pending = {v for v, label in zip(facet.values, labels, strict=True) if label == v}  # still labelled by their code
    cache: dict[tuple[str, ...], tuple[int, ...]] = {}
    per_doc: list[tuple[int, ...]] = []
    for j, facets in enumerate(facet_dicts):
        codes = facets.get(name)
        key = tuple(codes) if codes else ()
        ids = cache.get(key)
        if ids is None or (pending and not pending.isdisjoint(key)):  # a new list of codes, or a better label
            names = (docs[j].get("labels") or {}).get(name) or {}
            out = []
            for code in key:
                i = index.get(code)
                if i is None:
                    i = index[code] = len(labels)
                    labels.append(names.get(code, code))
                    if labels[i] == code:
                        pending.add(code)
                elif code in pending and names.get(code, code) != code:
                    labels[i] = names[code]
                    pending.discard(code)
                out.append(i)
            ids = cache[key] = tuple(out)
        per_doc.append(ids)
    if name in HIERARCHICAL_FACETS:
        for body in docs:
            parents.update(body.get("parents") or {})
    flat = list(chain.from_iterable(per_doc))
    lengths = list(map(len, per_doc))
    values = list(index)
    added = np.asarray(flat, dtype=np.int32)
    per_slot = np.asarray(lengths, dtype=np.int64)
    added_slot = np.repeat(np.arange(base, base + len(docs), dtype=np.int32), per_slot)
    postings = list(facet.postings) + [_EMPTY_SLOTS] * (len(values) - len(facet.values))
    order = np.argsort(added, kind="stable")
    bounds = np.searchsorted(added[order], np.arange(len(values) + 1))
    for i in np.flatnonzero(np.diff(bounds)):
        slots = added_slot[order[bounds[i]:bounds[i + 1]]]
        postings[i] = np.concatenate([postings[i], slots]) if postings[i].size else slots
    offsets = np.concatenate([facet.offsets, facet.offsets[-1] + np.cumsum(per_slot)])
    flat_all = np.concatenate([facet.flat, added])
    pair_slot = np.concatenate([facet.pair_slot, added_slot])
    return _counted(_Facet(values=values, index=index, labels=labels, offsets=offsets, flat=flat_all,
                           pair_slot=pair_slot, postings=postings, all_counts=facet.all_counts, parents=parents), live)


def _counted(facet: _Facet, live: np.ndarray | None) -> _Facet:
    """`facet` with `all_counts` counted over the live slots."""
    flat = facet.flat if live is None else facet.flat[live[facet.pair_slot]]
    return _Facet(values=facet.values, index=facet.index, labels=facet.labels, offsets=facet.offsets, flat=facet.flat,
                  pair_slot=facet.pair_slot, postings=facet.postings,
                  all_counts=np.bincount(flat, minlength=len(facet.values)), parents=facet.parents)


def _word_starts(text: str) -> list[str]:
    words = tokens(text)
    return [" ".join(words[i:]) for i in range(len(words))]


def _tree(present: list[tuple[str, str, int]], parents: dict[str, str | None]) -> list[FacetValue]:
    """Depth-first: each value after its parent, siblings by count then code; orphans are roots."""
    counted = {v for v, _, _ in present}
    children: dict[str | None, list[tuple[str, str, int]]] = {}
    for item in present:  # already ordered by count, then code
        parent = parents.get(item[0])
        children.setdefault(parent if parent in counted else None, []).append(item)
    out: list[FacetValue] = []
    placed: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for value, label, count in children.get(parent, []):
            if value in placed:
                continue
            placed.add(value)
            out.append(FacetValue(value=value, label=label, count=count, parent=parent, depth=depth))
            walk(value, depth + 1)

    walk(None, 0)
    return out
