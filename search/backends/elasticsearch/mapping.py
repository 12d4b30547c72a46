"""The Elasticsearch index: settings, analysis (synonyms from the vocabularies) and explicit mappings.

Everything here is a pure function of the shipped vocabulary files and the search document's shape, so the
index body is pinned as golden JSON (tests/search/golden/es-mapping.json) without a server.

Text analysis mirrors `search.text` (the embedded backend's tokenizer) so both backends see the same words:
a pattern tokenizer keeps dotted and slashed codes whole ("C34.9", "8046/3") and splits on everything else
(hyphens too), then `lowercase` and `asciifolding` ("Cáncer" -> "cancer"). Queries add a `synonym_graph`
filter (search time only, as Elasticsearch recommends for graph filters) built from the labels, synonyms and
codes of the cancer types, modalities and body parts, so a query word for a concept also finds free text that
names it another way ("nsclc" finds "non-small cell lung cancer", "c34" finds "lung cancer").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from elasticsearch.dsl import (
    Document,
    Index,
    Integer,
    Keyword,
    Long,
    MetaField,
    Object,
    Text,
    analyzer,
    token_filter,
    tokenizer,
)

from search.query import FACETS
from search.text import TYPO_MIN_LENGTH, tokens

MAPPING_VERSION = 1
"""Bump on any change of the mapping or analysis: the version is part of every index name (a rebuild needed)."""

SUPPORTED_SERVER_VERSIONS = "8.x (8.0 to 8.19; client elasticsearch==8.19.1)"

TEXT_ANALYZER = "atlas_text"
SEARCH_ANALYZER = "atlas_search"
TYPO_ANALYZER = "atlas_typo"
TYPO_SUBFIELD = "typo"
SYNONYM_FILTER = "atlas_synonyms"
WORD_PATTERN = r"[\p{L}\p{M}\p{N}]+(?:[./][\p{L}\p{M}\p{N}]+)*"
"""Java regex of one word: letters, marks and digits, with inner `.` or `/` kept (search.text.TOKEN's twin)."""

MAX_RESULT_WINDOW = 100_000
"""Deepest `from + size` a search may ask for (Elasticsearch's default is 10,000; the benchmark catalogue has
100,000 datasets, so every page of it stays reachable)."""

KEY_SEPARATOR = "\u001f"
"""Joins code, label (and parent) in the `es.facet_keys.*` keywords, so a facet bucket carries its own label."""

SYNONYM_SCHEMES: tuple[str, ...] = ("cancer-type", "modality", "body-part")
CODE_SYSTEMS: tuple[str, ...] = ("icd10", "icdo3_topo", "icdo3_morph", "snomed", "ncit")
"""Mapping systems whose codes expand to the concepts that carry them (one way: "c34" -> lung concepts, never
"nsclc" -> "c34", which would pull every C34 concept, small cell lung cancer included, into an NSCLC search)."""

SHORT_TERMS_KEPT = frozenset({"ct", "mr"})
"""Two-letter terms kept as synonyms. Every other term of two letters or less is dropped: DICOM codes such as
US, PT, MG, NM, CR, DX, ES, PR, SR are ordinary words or common abbreviations in free text ("us", "pt" for
patient, "mg", "nm", "cr" for complete response), and would expand a query into a modality."""

AMBIGUOUS_TERMS = frozenset({
    "all",  # acute lymphoblastic leukaemia / the English word
    "net", "cup", "cap",  # neuroendocrine tumour, cancer of unknown primary, chest-abdomen-pelvis / English words
    "idc",  # invasive ductal carcinoma / the Imaging Data Commons, source of most datasets here
    "pca",  # prostate cancer / principal component analysis
    "rms",  # rhabdomyosarcoma / root mean square
    "acc",  # adrenocortical carcinoma / accuracy
    "oct",  # optical coherence tomography / October
    "ann",  # annotation / artificial neural network
    "doc", "len", "pos", "reg", "resp", "ker", "opt", "fid", "eps",  # DICOM codes that are word fragments
    "cou", "sein", "rein",  # French labels (neck, breast, kidney) that are English or German words
})
"""Single-word terms left out of the synonym rules: each is also a common word or another well-known
abbreviation, so expanding it would add false hits. A document still matches them literally (the document's
`concepts` field carries every code, label and synonym of its concepts)."""

FACET_SIZE = 10_000
"""Terms-aggregation size: above the number of distinct values of any facet (vocabularies have under 200
concepts each; manufacturers and publishers are a few hundred), so every value comes back. The parser logs an
error if a bucket list was ever cut (`sum_other_doc_count` > 0)."""


# ------------------------------------------------------------------------------------------------ synonyms


def _term(text: str) -> str:
    """A vocabulary string as the analyzer sees it (search.text.tokens, joined): no Solr syntax survives."""
    return " ".join(tokens(text))


def _keep(term: str) -> bool:
    if not term:
        return False
    if " " in term:
        return True
    if len(term) <= 2:
        return term in SHORT_TERMS_KEPT
    return term not in AMBIGUOUS_TERMS


def _is_code_range(code: str) -> bool:
    return "-" in code  # "C00-C97": a chapter, not a concept


def synonym_rules(vocabularies: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[str]:
    """Solr-format rules: one equivalence line per concept, one explicit line per shared code.

    `vocabularies` maps a scheme slug to its concepts as `catalogue.vocabularies.crosscheck.read_scheme_csv`
    parses them (code, label, labels, synonyms, mappings).
    """
    rules: set[str] = set()
    by_code: dict[str, set[str]] = {}
    for slug in SYNONYM_SCHEMES:
        for concept in vocabularies.get(slug, ()):
            raw = [concept["code"], concept["label"], *concept["labels"].values(), *concept["synonyms"]]
            group = sorted({t for t in (_term(str(v)) for v in raw if v) if _keep(t)})
            if len(group) >= 2:
                rules.add(", ".join(group))
            if not group:
                continue
            for system in CODE_SYSTEMS:
                for code in concept["mappings"].get(system, ()):
                    term = _term(code)
                    if term and not _is_code_range(code) and " " not in term:
                        by_code.setdefault(term, set()).update(group)
    for code, terms in by_code.items():
        rules.add(f"{code} => {', '.join(sorted({code, *terms}))}")
    return sorted(rules)


@lru_cache(maxsize=1)
def shipped_synonym_rules() -> tuple[str, ...]:
    """The rules built from the vocabulary files shipped with the project (the ones `load_vocabularies` loads)."""
    from catalogue.vocabularies.crosscheck import read_scheme_csv, read_schemes_index
    from catalogue.vocabulary_loader import DATA_DIR

    files = {row["slug"]: row["file"] for row in read_schemes_index(DATA_DIR)}
    vocabularies = {slug: read_scheme_csv(DATA_DIR / files[slug]) for slug in SYNONYM_SCHEMES}
    return tuple(synonym_rules(vocabularies))


# ------------------------------------------------------------------------------------------------- mapping


def _text() -> Text:
    """A searched text field; its `typo` sub-field holds only the words a typo may land on (five letters or
    more, as in the embedded engine's typo index: "nsclc" must not find "sclc" by one deletion)."""
    return Text(
        analyzer=TEXT_ANALYZER,
        search_analyzer=SEARCH_ANALYZER,
        fields={TYPO_SUBFIELD: Text(analyzer=TYPO_ANALYZER, search_analyzer=TEXT_ANALYZER)},
    )


class DatasetIndexDocument(Document):
    """The mapping of `search.documents.dataset_document`, field by field, plus the derived `es` object.

    `dynamic: false` keeps a field the document builder adds later in `_source` (so `search_check` still compares
    whole documents) without indexing it under a guessed type; a test fails until it is mapped here.
    """

    version = Integer()
    identifier = Keyword()
    title = Keyword(index=False, doc_values=False)  # display title; sorting uses sort.title
    titles = _text()
    description = _text()
    keywords = _text()
    publisher = _text()
    concepts = _text()
    text = Text(index=False)  # the embedded engine's catch-all; here every text field is searched on its own
    facets = Object(properties={name: Keyword() for name in FACETS})
    labels = Object(enabled=False)
    parents = Object(enabled=False)
    display = Object(enabled=False)
    ranges = Object(properties={
        "subjects": Integer(), "studies": Integer(), "series": Long(), "size": Long(),
        "age_min": Integer(), "age_max": Integer(), "year_min": Integer(), "year_max": Integer(),
    })
    sort = Object(properties={
        "subjects": Integer(), "studies": Integer(), "modified": Keyword(), "title": Keyword(),
    })
    es = Object(properties={
        "facet_keys": Object(properties={name: Keyword() for name in FACETS}),
        "modified": Keyword(),
        "title_starts": Keyword(),
    })

    class Meta:
        dynamic = MetaField(False)


def analysis_objects(rules: Iterable[str]) -> list[Any]:
    """The analyzers: the same words at index and search time, synonyms added at search time only, and the
    typo targets (words of TYPO_MIN_LENGTH characters or more)."""
    words = tokenizer("atlas_words", "pattern", pattern=WORD_PATTERN, group=0)
    synonyms = token_filter(SYNONYM_FILTER, "synonym_graph", synonyms=list(rules), expand=True, lenient=False)
    long_words = token_filter("atlas_typo_length", "length", min=TYPO_MIN_LENGTH)
    return [
        analyzer(TEXT_ANALYZER, tokenizer=words, filter=["lowercase", "asciifolding"]),
        analyzer(SEARCH_ANALYZER, tokenizer=words, filter=["lowercase", "asciifolding", synonyms]),
        analyzer(TYPO_ANALYZER, tokenizer=words, filter=["lowercase", "asciifolding", long_words]),
    ]


def index_body(rules: Iterable[str] | None = None) -> dict[str, Any]:
    """Settings and mappings of a dataset index (what `indices.create` receives; pinned as golden JSON)."""
    index = Index("atlas-datasets")
    index.settings(
        number_of_shards=1,
        auto_expand_replicas="0-1",  # green on one node, one replica as soon as there are two
        max_result_window=MAX_RESULT_WINDOW,
    )
    for obj in analysis_objects(shipped_synonym_rules() if rules is None else rules):
        index.analyzer(obj)
    index.document(DatasetIndexDocument)
    body = index.to_dict()
    body["mappings"]["_meta"] = {"atlas_mapping_version": MAPPING_VERSION}
    return body


# ---------------------------------------------------------------------------------------------- documents


def facet_key(code: str, label: str, parent: str | None = None, *, hierarchical: bool = False) -> str:
    parts = [code, label] + ([parent or ""] if hierarchical else [])
    return KEY_SEPARATOR.join(parts)


def word_starts(text: str) -> list[str]:
    """Every word start of a text ("lung ct cohort" -> "lung ct cohort", "ct cohort", "cohort").

    The autocomplete of titles is a prefix query on these, the same matching as the embedded engine's.
    """
    words = tokens(text)
    return [" ".join(words[i:]) for i in range(len(words))]


def es_source(document: Mapping[str, Any]) -> dict[str, Any]:
    """The `_source` indexed for a search document: the document unchanged, plus the derived `es` object.

    `es` holds what Elasticsearch needs in another shape: facet keywords that carry their labels (and, for the
    cancer-type tree, parents), the modification date only when known (so a missing one sorts last), and the
    title's word starts for autocomplete. `stored_documents` strips it again.
    """
    facets: Mapping[str, list[str]] = document.get("facets") or {}
    labels: Mapping[str, Mapping[str, str]] = document.get("labels") or {}
    parents: Mapping[str, str | None] = document.get("parents") or {}
    keys: dict[str, list[str]] = {}
    for name in FACETS:
        names = labels.get(name) or {}
        hierarchical = name == "cancer_type"
        keys[name] = [
            facet_key(code, names.get(code, code), parents.get(code), hierarchical=hierarchical)
            for code in facets.get(name) or []
        ]
    derived: dict[str, Any] = {"facet_keys": keys, "title_starts": word_starts(str(document.get("title") or ""))}
    modified = (document.get("sort") or {}).get("modified")
    if modified:
        derived["modified"] = str(modified)
    return {**document, "es": derived}


def split_facet_key(key: str) -> tuple[str, str, str | None]:
    """(code, label, parent) of an `es.facet_keys` value; parent None when absent or empty."""
    parts = key.split(KEY_SEPARATOR)
    code = parts[0]
    label = parts[1] if len(parts) > 1 else code
    parent = parts[2] if len(parts) > 2 and parts[2] else None
    return code, label, parent
