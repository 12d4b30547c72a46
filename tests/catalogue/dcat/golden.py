"""The feeds and examples the parser is pinned on, where each is read from, and the summary each golden file holds.

Shared by the golden test (which compares) and `python -m tests.catalogue.dcat.regen_golden` (which writes):
one definition of what a golden contains, so the two cannot drift.

Two sets of inputs, each golden named after its input's key ("/" -> "__"):

* the project's set, always present: the feeds the project writes itself (`tests/data/feeds/`, key
  `tests/data/feeds/<file>`) and the official DCAT-AP 3.0.1 and HealthDCAT-AP R8 examples shipped in
  `catalogue/dcat/shapes/` (keys `shapes/<release folder>/<file>`, the layout of the reference corpus they were
  copied from, so their goldens kept their names);
* the interoperability set: real third-party feeds under a copyleft licence that the project does not
  redistribute (ckanext-dcat, udata), read from the reference corpus (`config.paths.reference_dir()`). Their
  cases come from the goldens in the repository, so the set is the same with or without the corpus; the
  tests over it are marked `interop` (skipped without a corpus, see tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalogue.dcat.parser import ParseResult, RdfParseError, format_for_path, parse_rdf
from config.paths import DCAT_AP_EXAMPLES_DIR, HEALTHDCAT_AP_EXAMPLES_DIR, REPO_ROOT, TEST_DATA_DIR, reference_dir

GOLDEN_DIR = TEST_DATA_DIR / "dcat_golden"
PROJECT_FEEDS_DIR = TEST_DATA_DIR / "feeds"
ATLAS_BASE_URL = "https://atlas.example.eu/"
EXAMPLES_CONTEXT_URL = (
    "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld"
)
PROJECT_FEEDS_KEY = "tests/data/feeds/"
# Key prefix of a bundled official example -> the folder it is shipped in.
BUNDLED_EXAMPLES: dict[str, Path] = {
    "shapes/dcat-ap-3/examples-3.0.1/": DCAT_AP_EXAMPLES_DIR,
    "shapes/healthdcat-ap/release-8-examples-transcribed/": HEALTHDCAT_AP_EXAMPLES_DIR,
}
COMBINED_JSONLD = "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.jsonld"
COMBINED_TURTLE = "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.ttl"
# Globs of the third-party feeds inside the reference corpus (the interoperability set).
INTEROP_PATTERNS = (
    "feeds/ckanext-dcat/*",
    "feeds/udata-harvest-fixtures/*",
    "shapes/healthdcat-ap/examples-ckanext-dcat/*.ttl",
)
INTEROP_GOLDEN_PREFIXES = tuple(pattern.rsplit("/", 1)[0].replace("/", "__") + "__" for pattern in INTEROP_PATTERNS)

Case = tuple[str, str, bool]
"""(golden file name, input key, with the examples' JSON-LD context supplied offline)."""


def golden_name(key: str, *, offline_context: bool = False) -> str:
    return key.replace("/", "__") + (".with-offline-context" if offline_context else "") + ".json"


def is_interop_golden(name: str) -> bool:
    return name.startswith(INTEROP_GOLDEN_PREFIXES)


def project_inputs() -> list[str]:
    """The keys of the project's own feeds and of the shipped official examples (sorted)."""
    keys = {PROJECT_FEEDS_KEY + p.name for p in PROJECT_FEEDS_DIR.iterdir() if p.is_file() and p.suffix != ".md"}
    for prefix, folder in BUNDLED_EXAMPLES.items():
        keys |= {prefix + p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".md"}
    return sorted(keys)


def project_cases() -> list[Case]:
    cases = [(golden_name(key), key, False) for key in project_inputs()]
    cases.append((golden_name(COMBINED_JSONLD, offline_context=True), COMBINED_JSONLD, True))
    return cases


def interop_cases() -> list[Case]:
    """The interoperability cases, from the goldens kept in the repository (present with or without a corpus)."""
    cases = []
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        if is_interop_golden(path.name):
            golden = json.loads(path.read_text(encoding="utf-8"))
            cases.append((path.name, str(golden["source"]), bool(golden["offline_context"])))
    return cases


def reference_inputs(corpus: Path) -> list[str]:
    """Every third-party feed of a reference corpus, as keys relative to it (sorted)."""
    found = {str(p.relative_to(corpus)) for pattern in INTEROP_PATTERNS for p in corpus.glob(pattern) if p.is_file()}
    return sorted(found)


def input_path(key: str) -> Path:
    """Where the input of a key is read: the repository, or the reference corpus for a third-party feed."""
    if key.startswith(PROJECT_FEEDS_KEY):
        return REPO_ROOT / key
    for prefix, folder in BUNDLED_EXAMPLES.items():
        if key.startswith(prefix):
            return folder / key[len(prefix):]
    corpus = reference_dir()
    if corpus is None:
        raise FileNotFoundError(f"{key} is a third-party feed and no reference corpus is configured (ATLAS_REFERENCE_DIR)")
    return corpus / key


def _format(key: str) -> str:
    return format_for_path(key[: -len(".xml")] if key.endswith(".rdf.xml") else key)


def _summary(result: ParseResult) -> dict[str, Any]:
    datasets = []
    for d in result.descriptors:
        datasets.append({
            "guid": d.guid,
            "titles": [[t.lang, t.text] for t in d.title],
            "identifiers": {
                "original_iri": d.original_iri,
                "doi": d.doi,
                "other": [[i.scheme, i.value] for i in d.other_identifiers],
            },
            "distributions": {
                "count": len(d.distributions),
                "access_urls": sorted({u for x in d.distributions for u in x.access_urls}),
                "download_urls": sorted({u for x in d.distributions for u in x.download_urls}),
            },
            "warnings": [[w.field, w.code, w.message] for w in d.warnings],
            "descriptor": d.to_dict(),
        })
    return {
        "error": None,
        "dataset_count": len(result.descriptors),
        "next_page": result.next_page,
        "document_warnings": list(result.warnings),
        "datasets": datasets,
    }


def summarise(key: str, *, offline_context: bool = False) -> dict[str, Any]:
    """What the parser makes of one input: the content of its golden."""
    path = input_path(key)
    fmt = _format(key)
    contexts = None
    if offline_context:
        contexts = {EXAMPLES_CONTEXT_URL: json.loads(path.with_name("context.jsonld").read_text())}
    head: dict[str, Any] = {"source": key, "format": fmt, "offline_context": offline_context}
    try:
        result = parse_rdf(path.read_bytes(), fmt, atlas_base_url=ATLAS_BASE_URL, contexts=contexts)
    except RdfParseError as exc:
        return {**head, "error": {"type": type(exc).__name__, "code": exc.code, "line": exc.line,
                                  "column": exc.column, "message": exc.message}}
    return {**head, **_summary(result)}


def render(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
