"""A small interpreter of the query DSL subset the Elasticsearch backend sends, over in-memory documents.

It lets the contract questions run through the Elasticsearch backend here, where no server can run: the fake
cluster (es_fake.py) answers `_search` with `evaluate(body, documents)`. It implements each clause as the
Elasticsearch 8 reference describes it, for the options the backend uses and no others (an unknown clause or
option is an AssertionError, so the interpreter cannot silently drift from what the backend sends):

match (one field; the field's search analyzer with the synonym graph, or `analyzer` without it; `fuzziness`
"AUTO:low,high" with transpositions; OR between the query's tokens, a multi-token synonym as a phrase within one
value of the field), constant_score, dis_max (tie_breaker 0), bool (must / filter), term, terms, range (gte,
lte), exists, prefix, match_all; sort (`_score`, fields, `missing: _last`); from / size; `_source`;
track_total_hits; post_filter; terms (size, order by _count then _key), filter and global aggregations.

Analysis is `search.text.tokens` (the embedded backend's tokenizer, which the index's pattern tokenizer,
lowercase and asciifolding filters reproduce) and the synonym rules of the index body. It is a model, not
Elasticsearch: it pins the meaning of the bodies, the contract suite on a real server pins the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from search.text import tokens, within_one_edit

Doc = Mapping[str, Any]


class Analysis:
    """The synonym graph of the index body: token sequence -> alternative token sequences."""

    def __init__(self, index_body: Mapping[str, Any]) -> None:
        analysis = index_body["settings"]["analysis"]
        rules = analysis["filter"]["atlas_synonyms"]["synonyms"]
        properties = index_body["mappings"]["properties"]
        self.search_fields = {name for name, spec in properties.items() if spec.get("search_analyzer") == "atlas_search"}
        # sub-fields ("titles.typo") whose index analyzer drops short words through a `length` filter
        self.min_length: dict[str, int] = {}
        for name, spec in properties.items():
            for sub, sub_spec in (spec.get("fields") or {}).items():
                chain = analysis["analyzer"][sub_spec["analyzer"]]["filter"]
                lengths = [analysis["filter"][f]["min"] for f in chain if analysis["filter"].get(f, {}).get("type") == "length"]
                self.min_length[f"{name}.{sub}"] = max(lengths, default=0)
        self.expansions: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for rule in rules:
            if "=>" in rule:
                left, right = rule.split("=>")
                inputs = [t.strip() for t in left.split(",")]
                outputs = [t.strip() for t in right.split(",")]
            else:
                inputs = outputs = [t.strip() for t in rule.split(",")]
            for source in inputs:
                key = tuple(tokens(source))
                self.expansions.setdefault(key, set()).update(tuple(tokens(o)) for o in outputs)

    def alternatives(self, words: Sequence[str]) -> list[set[tuple[str, ...]]]:
        """Per query position group: the token sequences any of which must appear (longest rule match first)."""
        out: list[set[tuple[str, ...]]] = []
        i = 0
        while i < len(words):
            for j in range(len(words), i, -1):
                key = tuple(words[i:j])
                if key in self.expansions:
                    out.append(self.expansions[key])
                    i = j
                    break
            else:
                out.append({(words[i],)})
                i += 1
        return out


def _get(doc: Doc, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _values(doc: Doc, path: str) -> list[Any]:
    value = _get(doc, path)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i:i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def _edits(fuzziness: str, term: str) -> int:
    match = re.fullmatch(r"AUTO:(\d+),(\d+)", fuzziness)
    assert match, f"unsupported fuzziness {fuzziness!r}"
    low, high = int(match.group(1)), int(match.group(2))
    return 0 if len(term) < low else 1 if len(term) < high else 2


class Evaluator:
    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis

    # ------------------------------------------------------------------------------------------ queries

    def query(self, clause: Mapping[str, Any], doc: Doc) -> float | None:
        """The clause's score on the document, or None when it does not match."""
        ((kind, spec),) = clause.items()
        handler = getattr(self, f"_q_{kind}", None)
        assert handler is not None, f"the interpreter does not know the {kind!r} query"
        return handler(spec, doc)

    def _q_match_all(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        assert not spec
        return 1.0

    def _q_bool(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        assert set(spec) <= {"must", "filter"}, spec.keys()
        score = 0.0
        for sub in spec.get("must", []):
            got = self.query(sub, doc)
            if got is None:
                return None
            score += got
        for sub in spec.get("filter", []):
            if self.query(sub, doc) is None:
                return None
        return score

    def _q_dis_max(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        assert spec.get("tie_breaker", 0.0) == 0.0
        scores = [s for s in (self.query(q, doc) for q in spec["queries"]) if s is not None]
        return max(scores) if scores else None

    def _q_constant_score(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        return None if self.query(spec["filter"], doc) is None else float(spec.get("boost", 1.0))

    def _q_term(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        ((field, value),) = spec.items()
        return 1.0 if value in _values(doc, field) else None

    def _q_terms(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        ((field, values),) = spec.items()
        return 1.0 if set(values) & set(_values(doc, field)) else None

    def _q_range(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        ((field, bounds),) = spec.items()
        assert set(bounds) <= {"gte", "lte"}
        values = [v for v in _values(doc, field) if isinstance(v, int | float) and not isinstance(v, bool)]
        ok = any(("gte" not in bounds or v >= bounds["gte"]) and ("lte" not in bounds or v <= bounds["lte"])
                 for v in values)
        return 1.0 if ok else None

    def _q_exists(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        return 1.0 if _values(doc, spec["field"]) else None

    def _q_prefix(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        ((field, options),) = spec.items()
        value = options["value"] if isinstance(options, Mapping) else options
        return 1.0 if any(str(v).startswith(value) for v in _values(doc, field)) else None

    def _q_match(self, spec: Mapping[str, Any], doc: Doc) -> float | None:
        ((field, options),) = spec.items()
        options = options if isinstance(options, Mapping) else {"query": options}
        assert set(options) <= {"query", "analyzer", "fuzziness", "fuzzy_transpositions", "prefix_length",
                                "max_expansions"}, options.keys()
        words = tokens(str(options["query"]))
        source_field, _, sub = field.partition(".")
        assert not sub or field in self.analysis.min_length, f"unmapped sub-field {field}"
        shortest = self.analysis.min_length.get(field, 0)
        texts = [[t for t in tokens(str(v)) if len(t) >= shortest] for v in _values(doc, source_field)]
        if "fuzziness" in options:
            assert options.get("analyzer") == "atlas_text" and options.get("fuzzy_transpositions", True)
            assert options.get("prefix_length", 0) == 0
            for word in words:
                edits = _edits(options["fuzziness"], word)
                assert edits <= 1, "the interpreter models at most one edit"
                for text in texts:
                    if any(t == word or (edits and within_one_edit(word, t)) for t in text):
                        return 1.0
            return None
        synonyms = field in self.analysis.search_fields and options.get("analyzer") is None
        groups = self.analysis.alternatives(words) if synonyms else [{(w,)} for w in words]
        for group in groups:  # operator OR: any position group matching is enough
            for text in texts:
                if any(_contains(text, alternative) for alternative in group):
                    return 1.0
        return None

    # -------------------------------------------------------------------------------------------- search

    def search(self, body: Mapping[str, Any], documents: Mapping[str, Doc]) -> dict[str, Any]:
        known = {"query", "sort", "from", "size", "_source", "track_total_hits", "aggs", "post_filter"}
        assert set(body) <= known, set(body) - known
        query = body.get("query", {"match_all": {}})
        matched = [(doc_id, doc, score) for doc_id, doc in documents.items()
                   if (score := self.query(query, doc)) is not None]
        aggregations = {name: self.aggregate(spec, [d for _, d, _ in matched], documents)
                        for name, spec in body.get("aggs", {}).items()}
        if "post_filter" in body:
            matched = [m for m in matched if self.query(body["post_filter"], m[1]) is not None]
        matched = self.sort(matched, body.get("sort", [{"_score": {"order": "desc"}}]))
        start, size = body.get("from", 0), body.get("size", 10)
        source = body.get("_source", True)
        hits = []
        for doc_id, doc, score in matched[start:start + size]:
            hit: dict[str, Any] = {"_index": "fake", "_id": doc_id, "_score": score}
            if source is not False:
                hit["_source"] = {k: doc[k] for k in source if k in doc} if isinstance(source, list) else dict(doc)
            hits.append(hit)
        total = {"value": len(matched), "relation": "eq"}
        response: dict[str, Any] = {"took": 1, "timed_out": False, "hits": {"total": total, "max_score": None, "hits": hits}}
        if aggregations:
            response["aggregations"] = aggregations
        return response

    def sort(self, matched: list[tuple[str, Doc, float]], specs: Iterable[Mapping[str, Any]]) -> list[tuple[str, Doc, float]]:
        out = list(matched)
        for spec in reversed(list(specs)):  # stable sorts, last key first
            ((field, options),) = spec.items()
            descending = options.get("order") == "desc"
            assert options.get("missing", "_last") == "_last"
            if field == "_score":
                out.sort(key=lambda m: m[2], reverse=descending)
                continue

            def value(m: tuple[str, Doc, float], field: str = field) -> Any:
                return m[0] if field == "identifier" and _get(m[1], field) is None else _get(m[1], field)

            present = [m for m in out if value(m) not in (None, [])]
            missing = [m for m in out if value(m) in (None, [])]
            present.sort(key=value, reverse=descending)
            out = present + missing
        return out

    # -------------------------------------------------------------------------------------- aggregations

    def aggregate(self, spec: Mapping[str, Any], docs: list[Doc], everything: Mapping[str, Doc]) -> dict[str, Any]:
        spec = dict(spec)
        subs = spec.pop("aggs", {})
        ((kind, options),) = spec.items()
        if kind == "terms":
            assert options.get("order") == [{"_count": "desc"}, {"_key": "asc"}]
            counts: dict[str, int] = {}
            for doc in docs:
                for value in set(_values(doc, options["field"])):
                    counts[value] = counts.get(value, 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            size = options.get("size", 10)
            return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": sum(c for _, c in ranked[size:]),
                    "buckets": [{"key": k, "doc_count": c} for k, c in ranked[:size]]}
        if kind == "filter":
            kept = [d for d in docs if self.query(options, d) is not None]
            return {"doc_count": len(kept), **{n: self.aggregate(s, kept, everything) for n, s in subs.items()}}
        if kind == "global":
            every = list(everything.values())
            return {"doc_count": len(every), **{n: self.aggregate(s, every, everything) for n, s in subs.items()}}
        raise AssertionError(f"the interpreter does not know the {kind!r} aggregation")
