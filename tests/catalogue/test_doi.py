"""DOIs are recognised, reduced to their bare form and compared in one place (catalogue/doi.py)."""

from __future__ import annotations

import pytest

from catalogue.doi import BARE_DOI, doi_key, parse_doi
from config.paths import REPO_ROOT


@pytest.mark.parametrize("value", ["10.7937/K9/TCIA.2015.ABC", "doi:10.7937/K9/TCIA.2015.ABC",
                                   "https://doi.org/10.7937/K9/TCIA.2015.ABC", " http://dx.doi.org/10.7937/K9/TCIA.2015.ABC "])
def test_every_written_form_gives_the_bare_doi(value):
    assert parse_doi(value) == "10.7937/K9/TCIA.2015.ABC"


@pytest.mark.parametrize("value", ["", "10.12/abc", "https://example.org/10.1234/abc", "doi:", "10.1234/"])
def test_what_is_not_a_doi_parses_to_none(value):
    assert parse_doi(value) is None


def test_two_forms_of_one_doi_have_one_key_and_other_values_match_only_themselves():
    assert doi_key("https://doi.org/10.1234/ABC") == doi_key("doi:10.1234/abc") == "10.1234/abc"
    assert doi_key(" Not-A-DOI ") == "not-a-doi"


def test_the_sidecar_accepts_only_the_bare_form():
    assert BARE_DOI.fullmatch("10.1234/abc")
    assert not BARE_DOI.fullmatch("https://doi.org/10.1234/abc")


def test_no_other_module_has_a_doi_pattern_of_its_own():
    owners = sorted(
        path.relative_to(REPO_ROOT).as_posix()
        for package in ("catalogue", "harvesters", "search")
        for path in (REPO_ROOT / package).rglob("*.py")
        if r"10\.\d{4,9}" in path.read_text(encoding="utf-8")
    )
    assert owners == ["catalogue/doi.py"], owners
