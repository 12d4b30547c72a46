"""The reference feeds and examples the parser is pinned on, and the summary each golden file holds.

Shared by the golden test (which compares) and `python -m tests.catalogue.dcat.regen_golden` (which writes):
one definition of what a golden contains, so the two cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalogue.dcat.parser import ParseResult, RdfParseError, format_for_path, parse_rdf

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference"
GOLDEN_DIR = Path(__file__).resolve().parents[2] / "data" / "dcat_golden"
ATLAS_BASE_URL = "https://atlas.example.eu/"
EXAMPLES_CONTEXT_URL = (
    "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld"
)
_PATTERNS = (
    "feeds/ckanext-dcat/*",
    "feeds/udata-harvest-fixtures/*",
    "shapes/healthdcat-ap/examples-ckanext-dcat/*.ttl",
    "shapes/healthdcat-ap/release-8-examples-transcribed/*.ttl",
    "shapes/dcat-ap-3/examples-3.0.1/*",
)


def reference_inputs() -> list[str]:
    """Every reference feed and example, as paths relative to the reference folder (sorted)."""
    found = {str(p.relative_to(REFERENCE)) for pattern in _PATTERNS for p in REFERENCE.glob(pattern) if p.is_file()}
    return sorted(found)


def golden_cases() -> list[tuple[str, str, bool]]:
    """(golden file name, reference path, with the examples' JSON-LD context supplied offline)."""
    cases = [(path.replace("/", "__") + ".json", path, False) for path in reference_inputs()]
    combined = "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.jsonld"
    cases.append((combined.replace("/", "__") + ".with-offline-context.json", combined, True))
    return cases


def _format(path: str) -> str:
    return format_for_path(path[: -len(".xml")] if path.endswith(".rdf.xml") else path)


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


def summarise(path: str, *, offline_context: bool = False) -> dict[str, Any]:
    """What the parser makes of one reference file: the content of its golden."""
    fmt = _format(path)
    contexts = None
    if offline_context:
        contexts = {EXAMPLES_CONTEXT_URL: json.loads((REFERENCE / path).with_name("context.jsonld").read_text())}
    head: dict[str, Any] = {"source": path, "format": fmt, "offline_context": offline_context}
    try:
        result = parse_rdf((REFERENCE / path).read_bytes(), fmt, atlas_base_url=ATLAS_BASE_URL, contexts=contexts)
    except RdfParseError as exc:
        return {**head, "error": {"type": type(exc).__name__, "code": exc.code, "line": exc.line,
                                  "column": exc.column, "message": exc.message}}
    return {**head, **_summary(result)}


def render(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
