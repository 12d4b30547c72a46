"""Golden JSON of what the Elasticsearch backend sends: the index body, and the request of every question.

No Elasticsearch server runs here, so the backend is pinned by the JSON it builds (pure functions, no client):

* tests/search/golden/es-mapping.json: index settings (analysis with the vocabulary synonyms) and mappings;
* tests/search/golden/es-requests/<question>.json: the `_search` body of every contract question
  (tests/search/contract/questions.py, written as data by the contract suite);
* tests/search/golden/es-cases/<case>.json: the bodies of this file's own fixed cases, so the goldens exist
  and cover every clause kind even without the contract suite.

Any difference fails. After a deliberate change, rewrite them and review the diff by eye:

    ATLAS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/search/test_elasticsearch_golden.py -p no:randomly

which writes missing and changed files and deletes files no question or case names any more.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from config.paths import TEST_DATA_DIR
from search.backends.elasticsearch import build_autocomplete_body, build_search_body, index_body
from search.query import Range, SearchQuery

GOLDEN = TEST_DATA_DIR.parent / "search" / "golden"
UPDATE = os.environ.get("ATLAS_UPDATE_GOLDEN") == "1"


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_golden(path: Path, value: Any) -> None:
    """Compare `value` with the golden file (or write it with ATLAS_UPDATE_GOLDEN=1)."""
    text = _dump(value)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path.relative_to(GOLDEN.parent.parent.parent)} is missing; write it with ATLAS_UPDATE_GOLDEN=1")
    golden = path.read_text(encoding="utf-8")
    if json.loads(golden) != json.loads(text) or golden != text:
        diff = "".join(difflib.unified_diff(golden.splitlines(True), text.splitlines(True), "golden", "built", n=2))
        pytest.fail(f"{path.name} differs from what the backend builds:\n{diff[:6000]}")


# --------------------------------------------------------------------------------------------- own cases

CASES: dict[str, dict[str, Any]] = {
    "all-defaults": {"query": SearchQuery()},
    "text-abbreviation": {"query": SearchQuery(text="NSCLC", facets=("cancer_type",))},
    "text-code": {"query": SearchQuery(text="C34", facets=())},
    "text-words-and-typo": {"query": SearchQuery(text="non-small cell lung adenocarcinma", facets=())},
    "text-stop-words-only": {"query": SearchQuery(text="the of and", facets=())},
    "text-digits-no-typo": {"query": SearchQuery(text="2019 C34.9 8046/3", facets=())},
    "cancer-type-parent": {"query": SearchQuery(filters={"cancer_type": ("lung-cancer",)}, facets=("cancer_type",))},
    "modality-any-of": {"query": SearchQuery(filters={"modality": ("MR", "CT")}, facets=("modality",))},
    "modality-all-of": {
        "query": SearchQuery(filters={"modality": ("MR", "CT", "SEG")}, modality_match="all", facets=("modality",))
    },
    "every-facet-filter": {
        "query": SearchQuery(
            filters={
                "body_part": ("CHEST", "LUNG"), "manufacturer": ("SIEMENS",), "sex": ("F",), "publisher": ("hospital-a",),
                "country": ("NLD",), "access_rights": ("PUBLIC",), "licence": ("CC_BY_4_0",), "tier": ("1A+",),
                "species": ("9606",), "has_segmentations": ("true",),
            },
        )
    },
    "ranges": {
        "query": SearchQuery(
            ranges={
                "subjects": Range(50, 500), "studies": Range(10, None), "series": Range(None, 1000),
                "size": Range(None, 10**12), "age": Range(40, 64), "years": Range(2015, None),
            },
            facets=(),
        )
    },
    "range-open-both-ends-ignored": {"query": SearchQuery(ranges={"subjects": Range()}, facets=())},
    "age-lower-bound-only": {"query": SearchQuery(ranges={"age": Range(90, None)}, facets=())},
    "sort-subjects-descending-page-3": {"query": SearchQuery(sort="-subjects", page=3, page_size=10, facets=())},
    "sort-studies": {"query": SearchQuery(sort="studies", facets=())},
    "sort-modified-descending": {"query": SearchQuery(sort="-modified", facets=())},
    "sort-title": {"query": SearchQuery(sort="title", facets=())},
    "sort-title-descending": {"query": SearchQuery(sort="-title", facets=())},
    "text-filters-ranges-sort": {
        "query": SearchQuery(
            text="glioblastoma MRI", filters={"modality": ("MR",), "sex": ("F", "M")}, ranges={"subjects": Range(10, None)},
            sort="-studies", page=2, page_size=50, facets=("modality", "sex", "cancer_type"),
        )
    },
    "disjunctive-facets": {
        "query": SearchQuery(
            text="lung", filters={"modality": ("CT",), "body_part": ("CHEST",)}, ranges={"subjects": Range(10, None)},
            facets=("modality", "body_part", "sex"),
        ),
        "facets": "disjunctive",
    },
    "disjunctive-facets-modality-all-of": {
        "query": SearchQuery(filters={"modality": ("CT", "PT")}, modality_match="all", facets=("modality",)),
        "facets": "disjunctive",
    },
}

AUTOCOMPLETE_CASES: dict[str, tuple[str, int]] = {
    "autocomplete-word-start": ("lun", 10),
    "autocomplete-two-words": ("Lung ca", 5),
    "autocomplete-complete-word": ("CT ", 8),
}


def _case_body(case: dict[str, Any]) -> dict[str, Any]:
    return build_search_body(case["query"], facets=case.get("facets", "result"))


# ---------------------------------------------------------------------------------------- contract questions


def _contract_questions() -> list[tuple[str, Any]] | None:
    """(name, query) of every contract question, or None while the contract suite does not exist yet."""
    try:
        module = importlib.import_module("tests.search.contract.questions")
    except ModuleNotFoundError as exc:
        if exc.name in {"tests.search.contract", "tests.search.contract.questions"}:
            return None
        raise
    questions = getattr(module, "QUESTIONS", None)
    if questions is None:
        raise AssertionError("tests/search/contract/questions.py defines no QUESTIONS")
    out = []
    for question in questions:
        if isinstance(question, tuple):
            name, query = question[0], question[1]
        else:
            name, query = question.name, question.query
        out.append((str(name), query))
    names = [name for name, _ in out]
    assert len(names) == len(set(names)), "contract question names must be unique (they name golden files)"
    return out


QUESTIONS = _contract_questions()


def test_mapping_matches_golden() -> None:
    check_golden(GOLDEN / "es-mapping.json", index_body())


@pytest.mark.parametrize("name", sorted(CASES))
def test_request_of_own_case_matches_golden(name: str) -> None:
    check_golden(GOLDEN / "es-cases" / f"{name}.json", _case_body(CASES[name]))


@pytest.mark.parametrize("name", sorted(AUTOCOMPLETE_CASES))
def test_autocomplete_request_matches_golden(name: str) -> None:
    prefix, limit = AUTOCOMPLETE_CASES[name]
    check_golden(GOLDEN / "es-cases" / f"{name}.json", build_autocomplete_body(prefix, limit))


@pytest.mark.skipif(QUESTIONS is None, reason="tests/search/contract/questions.py does not exist yet: no contract "
                    "questions to pin (the own cases in this file still are)")
@pytest.mark.parametrize("name", sorted(name for name, _ in QUESTIONS or []) or ["-"])
def test_request_of_contract_question_matches_golden(name: str) -> None:
    query = dict(QUESTIONS or [])[name]
    if isinstance(query, SearchQuery):
        check_golden(GOLDEN / "es-requests" / f"{name}.json", build_search_body(query))
    elif isinstance(query, tuple) and len(query) == 2 and isinstance(query[0], str):  # an autocomplete question
        check_golden(GOLDEN / "es-requests" / f"{name}.json", build_autocomplete_body(query[0], int(query[1])))
    else:
        pytest.skip(f"question {name!r} is not a dataset search ({type(query).__name__}): no Elasticsearch request")


def test_no_golden_file_outlives_its_question() -> None:
    expected = {f"{name}.json" for name in [*CASES, *AUTOCOMPLETE_CASES]}
    folders = {GOLDEN / "es-cases": expected}
    if QUESTIONS is not None:
        folders[GOLDEN / "es-requests"] = {f"{name}.json" for name, _ in QUESTIONS}
    stale = []
    for folder, names in folders.items():
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if path.name not in names:
                stale.append(path)
    if UPDATE:
        for path in stale:
            path.unlink()
        return
    assert not stale, f"golden files without a question or case (delete them or regenerate): {[p.name for p in stale]}"
