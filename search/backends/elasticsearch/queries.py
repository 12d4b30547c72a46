"""SearchQuery -> Elasticsearch request body, and response -> SearchResult: pure functions, no client.

The bodies follow the semantics of `search.query` (pinned by the contract suite), so the Elasticsearch backend
ranks, filters, counts and sorts like the embedded one:

* Text. The query is split into words by `search.text.query_words` (the embedded backend's tokenizer, stop
  words dropped, repeats removed). Every word must match (`bool.must`, one clause per word), and each word
  scores the weight of the best field it hits (`dis_max` with tie_breaker 0 over `constant_score` clauses):
  titles 8, concepts 4, keywords 3, publisher 2, description 1, or half that weight for a hit one typo away.
  A word's clauses name their field explicitly (`match`, never `query_string` on user input), and the word is
  one token, so no query syntax reaches Elasticsearch. Not `multi_match`: its BM25 scores would rank
  differently from the embedded backend, and `best_fields` with synonyms misses hits in later fields
  (elastic/elasticsearch#97396).
* Typos. The typo clause searches each field's `typo` sub-field (only its words of five letters or more, as
  the embedded engine's typo index) with the index analyzer (no synonyms: Elasticsearch does not fuzz
  synonym-expanded terms anyway) and `fuzziness: "AUTO:5,256"`: no edit below five characters, one edit from
  five on, never two (AUTO's high bound is above the longest token, 255 characters). Plain `AUTO` means
  `AUTO:3,6`: one edit for words of three to five letters ("mri" would find "mr1") and two from six letters on
  ("lympoma" would find "lymphomas"), where the contract tolerates one typo in words of five letters or more.
  Adjacent transpositions count as one edit (`fuzzy_transpositions`). Query words of digits only get no typo
  clause (the embedded engine's rule: "2019" must not find "2018").
* Filters are `bool.filter` clauses (no scoring, cached): `terms` for any-of, one `term` per code for
  modalities with `modality_match="all"`; cancer types match through the document's ancestors (a parent
  finds its subtypes). Ranges are inclusive `range` clauses on published values; `age` and `years` are
  intervals that must overlap the asked one.
* Facets are `terms` aggregations on keywords that carry each value's label (and parent), ordered by count then
  value, sized to return every value. Semantics "result" (the default, the contract's): counts over the
  result set, every filter applied, the facet's own included. Semantics "disjunctive" (available, not the
  contract's): filters move to `post_filter` and each facet counts under every filter but its own, the usual
  e-commerce behaviour where ticking CT still shows MR's count.
* Sort: relevance is `_score` then title then identifier (the embedded engine's stable order); the others
  sort on `sort.*` with missing values last in both directions, ties by title then identifier (descending
  title breaks ties by descending identifier, as the embedded engine reverses its title order).
* Paging: `from`/`size`, `track_total_hits: true` (exact totals), `_source: false` (identifiers are `_id`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from elasticsearch.dsl import Q, Search
from elasticsearch.dsl.query import Query

from search.backends.elasticsearch.mapping import (
    FACET_SIZE,
    MAX_RESULT_WINDOW,
    TEXT_ANALYZER,
    TYPO_SUBFIELD,
    split_facet_key,
)
from search.engine import AUTOCOMPLETE_FACETS, HIERARCHICAL_FACETS, INTERVAL_RANGES, TEXT_FIELDS, TYPO_FACTOR
from search.query import FacetValue, Range, SearchQuery, SearchResult, Suggestion
from search.text import TYPO_MIN_LENGTH, query_words, tokens

logger = logging.getLogger(__name__)

FacetSemantics = Literal["result", "disjunctive"]

TYPO_FUZZINESS = f"AUTO:{TYPO_MIN_LENGTH},256"
TYPO_MAX_EXPANSIONS = 100
"""Terms one edit away that a typo clause may expand to (Elasticsearch's default is 50); the embedded engine
takes them all, and a word rarely has more than a handful of neighbours in a catalogue's vocabulary."""

SORT_FIELDS = {"subjects": "sort.subjects", "studies": "sort.studies", "modified": "es.modified"}
RANGE_FIELDS = {"subjects": "ranges.subjects", "studies": "ranges.studies", "series": "ranges.series", "size": "ranges.size"}


class DeepPageError(ValueError):
    """A page beyond the index's `max_result_window`: Elasticsearch would refuse it."""


# --------------------------------------------------------------------------------------------------- text


def _word_clause(word: str) -> Query:
    """One query word: its best field's weight, half that for a one-typo hit."""
    clauses: list[Query] = []
    for field, weight in TEXT_FIELDS:
        clauses.append(Q("constant_score", filter=Q("match", **{field: {"query": word}}), boost=weight))
    if len(word) >= TYPO_MIN_LENGTH and not word.isdigit():
        for field, weight in TEXT_FIELDS:
            fuzzy = {
                "query": word,
                "analyzer": TEXT_ANALYZER,
                "fuzziness": TYPO_FUZZINESS,
                "fuzzy_transpositions": True,
                "prefix_length": 0,
                "max_expansions": TYPO_MAX_EXPANSIONS,
            }
            target = f"{field}.{TYPO_SUBFIELD}"
            clauses.append(Q("constant_score", filter=Q("match", **{target: fuzzy}), boost=weight * TYPO_FACTOR))
    return Q("dis_max", queries=clauses, tie_breaker=0.0)


# ------------------------------------------------------------------------------------------------ filters


def _facet_filters(query: SearchQuery) -> dict[str, list[Query]]:
    """Filter clauses per facet (several for modalities with modality_match="all")."""
    out: dict[str, list[Query]] = {}
    for name in sorted(query.filters):
        codes = [str(c) for c in query.filters[name]]
        if not codes:
            continue
        field = f"facets.{name}"
        if name == "modality" and query.modality_match == "all":
            out[name] = [Q("term", **{field: code}) for code in sorted(set(codes))]
        else:
            out[name] = [Q("terms", **{field: sorted(set(codes))})]
    return out


def _bounds(low: int | None, high: int | None) -> dict[str, int]:
    out: dict[str, int] = {}
    if low is not None:
        out["gte"] = int(low)
    if high is not None:
        out["lte"] = int(high)
    return out


def _range_filters(ranges: Mapping[str, Range]) -> list[Query]:
    """Inclusive ranges on published values; an unknown or withheld value never matches a bounded range."""
    out: list[Query] = []
    for name in sorted(ranges):
        bounds = ranges[name]
        if bounds.low is None and bounds.high is None:
            continue
        if name in INTERVAL_RANGES:
            low_field, high_field = (f"ranges.{c}" for c in INTERVAL_RANGES[name])
            # [low_field, high_field] overlaps [low, high]; both ends must be known.
            out.append(Q("range", **{high_field: _bounds(bounds.low, None)}) if bounds.low is not None
                       else Q("exists", field=high_field))
            out.append(Q("range", **{low_field: _bounds(None, bounds.high)}) if bounds.high is not None
                       else Q("exists", field=low_field))
        elif name in RANGE_FIELDS:
            out.append(Q("range", **{RANGE_FIELDS[name]: _bounds(bounds.low, bounds.high)}))
        else:
            raise ValueError(f"unknown range {name!r}")
    return out


def _all_of(clauses: Sequence[Query]) -> Query:
    if not clauses:
        return Q("match_all")
    return Q("bool", filter=list(clauses))


# ------------------------------------------------------------------------------------------------- sort


def _sort(sort: str) -> list[dict[str, Any]]:
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    tie = [{"sort.title": {"order": "asc"}}, {"identifier": {"order": "asc"}}]
    if field == "relevance":
        return [{"_score": {"order": "desc"}}, *tie]
    if field == "title":
        order = "desc" if descending else "asc"
        return [{"sort.title": {"order": order}}, {"identifier": {"order": order}}]
    if field in SORT_FIELDS:
        return [{SORT_FIELDS[field]: {"order": "desc" if descending else "asc", "missing": "_last"}}, *tie]
    raise ValueError(f"unknown sort {sort!r}")


# ----------------------------------------------------------------------------------------------- builder


def _terms_agg(name: str) -> dict[str, Any]:
    return {
        "terms": {
            "field": f"es.facet_keys.{name}",
            "size": FACET_SIZE,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    }


def page_window(query: SearchQuery) -> tuple[int, int]:
    """(from, size) of the query's page."""
    if query.page < 1 or query.page_size < 1:
        raise ValueError("page and page_size must be at least 1")
    return (query.page - 1) * query.page_size, query.page_size


def build_search_body(query: SearchQuery, *, facets: FacetSemantics = "result") -> dict[str, Any]:
    """The `_search` request body for a query (golden-tested: tests/search/golden/es-requests/)."""
    start, size = page_window(query)
    if start + size > MAX_RESULT_WINDOW:
        raise DeepPageError(f"page {query.page} of size {query.page_size} is beyond the deepest reachable result "
                            f"({MAX_RESULT_WINDOW:,}); narrow the search")
    words = query_words(query.text)
    facet_filters = _facet_filters(query)
    ranges = _range_filters(query.ranges)

    search = Search()
    must = [_word_clause(word) for word in words]
    if facets == "result":
        filters = [clause for name in sorted(facet_filters) for clause in facet_filters[name]] + ranges
        search = search.query(Q("bool", must=must, filter=filters) if must or filters else Q("match_all"))
        for name in query.facets:
            search.aggs[name] = _terms_agg(name)
    elif facets == "disjunctive":
        search = search.query(Q("bool", must=must, filter=ranges) if must or ranges else Q("match_all"))
        selected = [clause for name in sorted(facet_filters) for clause in facet_filters[name]]
        if selected:
            search = search.post_filter(_all_of(selected))
        for name in query.facets:
            others = [c for other in sorted(facet_filters) if other != name for c in facet_filters[other]]
            if name == "modality" and query.modality_match == "all":
                others += facet_filters.get("modality", [])  # all-of narrows as it goes: its own filter stays
            search.aggs[name] = {"filter": _all_of(others).to_dict(), "aggs": {"values": _terms_agg(name)}}
    else:
        raise ValueError(f"unknown facet semantics {facets!r}")

    search = search.sort(*_sort(query.sort)).source(False).extra(track_total_hits=True, **{"from": start, "size": size})
    return search.to_dict()


# ------------------------------------------------------------------------------------------------ parser


def _buckets(aggregation: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    inner = aggregation.get("values", aggregation)
    if inner.get("sum_other_doc_count"):
        logger.error("a facet aggregation was cut: %s documents in values beyond the first %s",
                     inner["sum_other_doc_count"], FACET_SIZE)
    return list(inner.get("buckets", []))


def _facet_values(name: str, buckets: Iterable[Mapping[str, Any]]) -> list[FacetValue]:
    counts: dict[str, int] = {}
    labels: dict[str, str] = {}
    parents: dict[str, str | None] = {}
    for bucket in buckets:
        code, label, parent = split_facet_key(str(bucket["key"]))
        counts[code] = counts.get(code, 0) + int(bucket["doc_count"])  # one code, two labels: a stale document
        if code not in labels or labels[code] == code:
            labels[code] = label
        parents.setdefault(code, parent)
    present = sorted(((code, labels[code], n) for code, n in counts.items() if n > 0), key=lambda v: (-v[2], v[0]))
    if name not in HIERARCHICAL_FACETS:
        return [FacetValue(value=code, label=label, count=n) for code, label, n in present]
    return facet_tree(present, parents)


def facet_tree(present: Sequence[tuple[str, str, int]], parents: Mapping[str, str | None]) -> list[FacetValue]:
    """Depth-first: each value right after its parent's subtree starts; siblings by count then code; a value
    whose parent is not counted is a root (the order and shape of the embedded engine's cancer-type facet)."""
    counted = {code for code, _, _ in present}
    children: dict[str | None, list[tuple[str, str, int]]] = {}
    for item in present:
        parent = parents.get(item[0])
        children.setdefault(parent if parent in counted else None, []).append(item)
    out: list[FacetValue] = []
    placed: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for code, label, count in children.get(parent, []):
            if code in placed:
                continue
            placed.add(code)
            out.append(FacetValue(value=code, label=label, count=count, parent=parent, depth=depth))
            walk(code, depth + 1)

    walk(None, 0)
    return out


def parse_search_response(response: Mapping[str, Any], query: SearchQuery) -> SearchResult:
    """SearchResult of a `_search` response to `build_search_body(query)` (either facet semantics)."""
    hits = response["hits"]
    total = hits["total"]
    if isinstance(total, Mapping):
        if total.get("relation", "eq") != "eq":
            raise ValueError("the response's total is a lower bound; the request must track total hits")
        total = total["value"]
    aggregations = response.get("aggregations", {})
    facets = {name: _facet_values(name, _buckets(aggregations.get(name, {}))) for name in query.facets}
    return SearchResult(identifiers=[str(hit["_id"]) for hit in hits["hits"]], total=int(total), facets=facets)


# ---------------------------------------------------------------------------------------------- autocomplete


def autocomplete_key(prefix: str) -> str:
    """The normalised prefix (search.text words joined); a trailing blank means the last word is complete."""
    key = " ".join(tokens(prefix))
    if key and prefix[-1:].isspace():
        key += " "
    return key


def build_autocomplete_body(prefix: str, limit: int) -> dict[str, Any] | None:
    """The `_search` body for `autocomplete(prefix, limit)`; None when the prefix has no word (no request).

    Titles: a `prefix` query on the title's word starts, alphabetical, at most `limit`. Concepts: a `global`
    aggregation of the concept facets over every indexed dataset (counts and labels); the concepts whose label
    or code has a word starting with the prefix are picked from it by `parse_autocomplete_response`.
    """
    key = autocomplete_key(prefix)
    if not key:
        return None
    if limit < 1:
        raise ValueError("limit must be at least 1")
    search = Search().query(Q("bool", filter=[Q("prefix", **{"es.title_starts": {"value": key}})]))
    search = search.sort({"sort.title": {"order": "asc"}}, {"identifier": {"order": "asc"}})
    search = search.source(["title"]).extra(size=limit, track_total_hits=False)
    search.aggs.bucket("concepts", "global")
    for name in AUTOCOMPLETE_FACETS:
        search.aggs["concepts"].bucket(name, "terms", field=f"es.facet_keys.{name}", size=FACET_SIZE,
                                       order=[{"_count": "desc"}, {"_key": "asc"}])
    return search.to_dict()


def _starts(text: str, key: str) -> bool:
    words = tokens(text)
    return any(" ".join(words[i:]).startswith(key) for i in range(len(words)))


def parse_autocomplete_response(response: Mapping[str, Any], prefix: str, limit: int) -> list[Suggestion]:
    """Concepts by dataset count (then label, kind, code), then titles alphabetically; at most `limit`."""
    key = autocomplete_key(prefix)
    if not key:
        return []
    concepts: list[Suggestion] = []
    aggregations = response.get("aggregations", {}).get("concepts", {})
    for kind in AUTOCOMPLETE_FACETS:
        for value in _facet_values(kind, _buckets(aggregations.get(kind, {}))):
            if _starts(value.label, key) or _starts(value.value, key):
                concepts.append(Suggestion(kind, value.value, value.label, value.count))
    concepts.sort(key=lambda s: (-s.count, s.label, s.kind, s.value))
    titles = [
        Suggestion("dataset", str(hit["_id"]), str((hit.get("_source") or {}).get("title", "")), 1)
        for hit in response["hits"]["hits"]
    ]
    return (concepts + titles)[:limit]
