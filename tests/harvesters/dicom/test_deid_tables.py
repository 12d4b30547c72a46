"""The shipped attribute table is DEID-TAGS.md, and the option tables only name attributes of that table."""

from __future__ import annotations

import pytest

from harvesters.dicom_folder.deid_tables import (
    CLEAN_DESCRIPTORS,
    CLEAN_STRUCTURED_CONTENT,
    RETAIN_DEVICE_IDENTITY,
    RETAIN_INSTITUTION_IDENTITY,
    RETAIN_PATIENT_CHARACTERISTICS,
    parse_deid_markdown,
    shipped_rows,
)
from tests.harvesters.dicom.canaries import DEID_TAGS_MD


def test_shipped_table_equals_a_fresh_parse_of_deid_tags_md() -> None:
    assert list(shipped_rows()) == parse_deid_markdown(DEID_TAGS_MD.read_text(encoding="utf-8"))


def test_table_covers_every_action_list_and_masks() -> None:
    rows = shipped_rows()
    assert {r.action for r in rows} == {"X", "Z", "D", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"}
    by_keyword = {r.keyword: r for r in rows}
    assert by_keyword["PatientName"].action == "Z"
    assert by_keyword["PatientID"].action == "Z/D"
    assert by_keyword["SOPInstanceUID"].action == "U"
    assert by_keyword["CurveData"].pattern == "50xxxxxx"
    assert sum(1 for r in rows if r.keyword.startswith("GPS")) >= 30  # the (0016,0070)-(0016,008E) block
    assert len({r.pattern for r in rows}) == len(rows)


@pytest.mark.parametrize("keywords", [RETAIN_PATIENT_CHARACTERISTICS, RETAIN_DEVICE_IDENTITY,
                                      RETAIN_INSTITUTION_IDENTITY, CLEAN_DESCRIPTORS, CLEAN_STRUCTURED_CONTENT])
def test_option_tables_name_only_attributes_of_the_table(keywords: frozenset[str]) -> None:
    assert keywords <= {r.keyword for r in shipped_rows()}


def test_parser_refuses_text_that_is_not_the_table_format() -> None:
    with pytest.raises(ValueError):
        parse_deid_markdown("# a heading\n\nno sections here")
    with pytest.raises(ValueError):
        parse_deid_markdown("**X: remove**\n(0010,0010 Patient's Name.")
