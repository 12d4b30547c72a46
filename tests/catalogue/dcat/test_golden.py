"""The parse of every reference feed and example matches its pinned golden (tests/data/dcat_golden).

Regenerate deliberately with `python -m tests.catalogue.dcat.regen_golden` and review the diff.
"""

from __future__ import annotations

import json

import pytest

from catalogue.dcat.parser import RdfParseError, parse_rdf
from tests.catalogue.dcat.golden import GOLDEN_DIR, REFERENCE, golden_cases, reference_inputs, summarise

CASES = golden_cases()


def test_every_reference_input_has_a_golden() -> None:
    assert len(reference_inputs()) >= 20, f"reference folder missing or incomplete: {REFERENCE}"
    assert sorted(p.name for p in GOLDEN_DIR.glob("*.json")) == sorted(name for name, _, _ in CASES)


@pytest.mark.parametrize(("name", "path", "offline"), CASES, ids=[name for name, _, _ in CASES])
def test_the_parse_matches_the_golden(name: str, path: str, offline: bool) -> None:
    golden = json.loads((GOLDEN_DIR / name).read_text(encoding="utf-8"))
    assert summarise(path, offline_context=offline) == golden


def test_the_turtle_syntax_error_is_a_typed_error_naming_line_and_column() -> None:
    path = REFERENCE / "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.ttl"
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(path.read_bytes(), "ttl")
    assert (raised.value.line, raised.value.code) == (32, "rdf_parse_error")
    assert raised.value.column is not None and "line 32" in raised.value.message


def test_a_remote_json_ld_context_is_a_clear_error_not_a_fetch() -> None:
    path = REFERENCE / "shapes/dcat-ap-3/examples-3.0.1/example-bee-population-dataset-series-combined.jsonld"
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(path.read_bytes(), "jsonld")
    assert raised.value.code == "remote_context"
    assert "semiceu.github.io" in raised.value.message
