"""The shipped PS3.15 Table E.1-1 (config.paths.DEID_TABLE) and the gate's own tables agree.

What is checked:
(a) every row's tag and keyword agree with pydicom's data dictionary (and its name, ignoring case and spaces)
    wherever pydicom knows the tag: the 617 exact tags and the two (60xx,eeee) overlay rows. Two rows cannot be
    checked: (50xx,xxxx) Curve Data names a whole group, not one element, and (gggg,eeee) Private Attributes
    names every odd group.
(b) the gate's tables in harvesters/dicom_folder/deid_tables.py say what the table says, under the options the
    gate applies:
    - the file is the reviewed one (SHA-256 in data/NOTICE.md) and has the reviewed number of rows per Basic
      Profile action and of marks per option column, so one changed row fails;
    - every attribute row is matched by the gate's element plan (no row shadowed by another rule), and the
      gate refuses a value in it unless the action is U (then R15 checks the UID);
    - for each option the gate honours (113104, 113105, 113108, 113109, 113112) the attributes the gate lets a
      file keep are exactly the table's K/C marks of that option minus NOT_HONOURED, and NOT_HONOURED names
      only marked attributes;
    - under 113106/113107 the gate keeps every DA/DT/TM attribute of the table except NEVER_KEPT_DATES, which
      is exactly the marked date attributes minus NOT_HONOURED; the two date columns mark the same rows;
    - 113103, 113110 and 113111 keep no attribute in the gate: their marks are R6 objects, UIDs (R15) and the
      Private Attributes row (R11: refused unless 113111 is declared, then only allow-listed elements).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from pydicom.datadict import dictionary_description, dictionary_VR, get_entry, keyword_for_tag

from config.paths import DEID_TABLE
from harvesters.dicom_folder import demo, gate
from harvesters.dicom_folder.deid_tables import (
    COLUMNS,
    DATE_OPTIONS,
    NEVER_KEPT_DATES,
    NOT_HONOURED,
    OPTION_COLUMNS,
    OPTION_RETAINS,
    DeidTable,
    DeidTableError,
    load_deid_table,
    parse_deid_table,
    shipped_rows,
)
from tests.harvesters.dicom.canaries import CANARY_OPTIONS, baseline, write_part10

NOTICE = DEID_TABLE.parent / "NOTICE.md"
ACTION_COUNTS = {"X": 383, "D": 92, "U": 54, "Z": 42, "X/D": 22, "X/Z": 11, "X/Z/D": 8, "Z/D": 6, "X/Z/U*": 2}
# (K marks, C marks) per option column, attribute rows only; the Private Attributes row is checked on its own.
MARK_COUNTS = {"113111": (0, 0), "113110": (59, 0), "113109": (46, 11), "113112": (10, 0), "113108": (9, 4),
               "113106": (165, 0), "113107": (0, 165), "113105": (0, 125), "113104": (0, 3), "113103": (0, 4)}
_DATE_VRS = {"DA", "DT", "TM"}


@pytest.fixture(scope="module")
def table() -> DeidTable:
    return load_deid_table(DEID_TABLE)


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name).casefold()


# ---------------------------------------------------------------------------------------------- (a) pydicom


def test_tags_keywords_and_names_agree_with_pydicom_wherever_it_knows_the_tag(table: DeidTable) -> None:
    checked, unchecked, disagree = 0, [], []
    for row in table.rows:
        probe = row.tag if row.is_exact else int(row.pattern.replace("x", "0"), 16)
        if not row.is_exact and row.pattern.endswith("xxxx"):
            unchecked.append(row.tag_text)  # a whole group: no single dictionary element to compare with
            continue
        try:
            _vr, _vm, name, _retired, keyword = get_entry(probe)
        except KeyError:
            unchecked.append(row.tag_text)
            continue
        checked += 1
        if keyword != row.keyword or _norm(name) != _norm(row.name):
            disagree.append((row.tag_text, row.keyword, keyword, row.name, name))
    assert disagree == []
    assert unchecked == ["(50xx,xxxx)"]
    assert checked == len(table.rows) - 1 == 619  # + the Private Attributes row: 2 of 621 rows not checkable
    assert table.private.name == "Private Attributes" and table.private.keyword == ""


def test_the_exact_rows_are_pydicoms_own_keywords() -> None:
    exact = [r for r in shipped_rows() if r.is_exact]
    assert len(exact) == 617
    assert all(keyword_for_tag(r.tag) == r.keyword for r in exact)
    assert all(_norm(dictionary_description(r.tag)) == _norm(r.name) for r in exact)


# --------------------------------------------------------------------------------------- (b) gate vs table


def test_the_shipped_file_is_the_reviewed_one() -> None:
    """A changed row fails here until NOTICE.md records the new checksum (a reviewed change)."""
    digest = hashlib.sha256(DEID_TABLE.read_bytes()).hexdigest()
    notice = NOTICE.read_text(encoding="utf-8")
    assert re.search(rf"^{digest}  {re.escape(DEID_TABLE.name)}$", notice, re.M), digest


def test_rows_per_action_and_marks_per_option_are_the_reviewed_ones(table: DeidTable) -> None:
    assert dict(Counter(r.action for r in table.rows)) == ACTION_COUNTS
    marks = {code: (sum(r.mark(code) == "K" for r in table.rows), sum(r.mark(code) == "C" for r in table.rows))
             for code in OPTION_COLUMNS.values()}
    assert marks == MARK_COUNTS
    assert (table.private.action, table.private.options) == ("X", (("113111", "C"),))


def test_the_gate_matches_every_row_of_the_table(table: DeidTable) -> None:
    """Each attribute row is the row the gate's element plan uses for that tag (none is shadowed or skipped)."""
    assert shipped_rows() == table.rows
    wrong = []
    for row in table.rows:
        tag = row.tag if row.is_exact else int(row.pattern.replace("x", "0"), 16)
        if row.pattern.endswith("xxxx"):
            tag |= 0x3000  # (50xx,xxxx): a curve element, not the group length the gate skips
        plan = gate._plan(tag, None)
        if row.keyword in gate._R17_TAGS.values() or row.keyword in gate.R6_OBJECTS:
            ok = plan[0] == "special" and plan[2] == row.keyword
        else:
            ok = plan[0] in ("check", "sequence") and plan[1] == row
        if not ok:
            wrong.append((row.tag_text, row.keyword, plan[:2]))
    assert wrong == []


@pytest.mark.parametrize("code", sorted(OPTION_RETAINS))
def test_what_an_option_lets_a_file_keep_is_the_tables_marks_minus_the_documented_exceptions(
    code: str, table: DeidTable
) -> None:
    marked = table.marked(code)
    assert NOT_HONOURED[code] <= marked, NOT_HONOURED[code] - marked
    assert OPTION_RETAINS[code] == marked - NOT_HONOURED[code], (
        sorted(OPTION_RETAINS[code] - marked), sorted(marked - NOT_HONOURED[code] - OPTION_RETAINS[code]))


def test_the_date_options_keep_the_tables_date_marks_minus_the_documented_exceptions(table: DeidTable) -> None:
    assert DATE_OPTIONS == {"113106", "113107"}
    full, modified = table.marked("113106"), table.marked("113107")
    assert full == modified
    dated = {r.keyword for r in table.rows
             if r.is_exact and r.action != "U" and dictionary_VR(r.tag).split(" or ")[0] in _DATE_VRS}
    kept_by_gate = dated - NEVER_KEPT_DATES
    assert NEVER_KEPT_DATES <= dated
    assert NOT_HONOURED["113106"] == NOT_HONOURED["113107"] <= full
    assert kept_by_gate == full - NOT_HONOURED["113106"]


@pytest.mark.parametrize("code", ["113103", "113110", "113111"])
def test_options_the_gate_does_not_apply_to_attributes_keep_nothing(code: str, table: DeidTable) -> None:
    assert code not in OPTION_RETAINS and code not in gate.OPTION_RETAINS
    if code == "113103":
        assert not table.marked(code) & set().union(*OPTION_RETAINS.values())
        assert table.marked(code) == NOT_HONOURED[code]
        assert {"CurveData", "OverlayData"} <= gate.R6_OBJECTS
    if code == "113110":
        assert code not in gate.DEFAULT_ACCEPTED_OPTIONS
        assert all(r.action in ("U", "X/Z/U*") or dictionary_VR(r.tag) in ("UI", "SQ")
                   for r in table.rows if r.mark(code))
    if code == "113111":
        assert table.marked(code) == frozenset() and table.private.mark(code) == "C"


def test_private_attributes_are_removed_unless_retain_safe_private_and_then_only_the_allow_list(
    tmp_path: Path,
) -> None:
    """The table's Private Attributes row: X, and C (keep what is known safe) under 113111."""
    policy = gate.GatePolicy.from_options(CANARY_OPTIONS)  # allow-list: (0013,"CTP",10)
    cases = {}
    for name, declare, element in (("undeclared", False, 0x10), ("allowed", True, 0x10), ("unlisted", True, 0x11)):
        ds = baseline(0)
        if declare:
            ds.DeidentificationMethodCodeSequence.append(demo._code_item("113111", "DCM", "Retain Safe Private"))
        ds.private_block(0x0013, "CTP", create=True).add_new(element, "LO", "ABC")
        write_part10(ds, tmp_path / f"{name}.dcm")
        cases[name] = gate.check_file(tmp_path / f"{name}.dcm", policy)
    assert cases["undeclared"].reasons == ("r11_private_undeclared",)
    assert cases["allowed"].status == gate.ACCEPTED, cases["allowed"].reasons
    assert cases["unlisted"].reasons == ("r11_private_unlisted:(0013,xx11)",)


# ------------------------------------------------------------------------------------------------- loader


def _csv(*rows: str) -> str:
    return ",".join(COLUMNS) + "\n" + "".join(r + "\n" for r in rows)


PRIVATE_ROW = '"(gggg,eeee)",,Private Attributes,X,C,,,,,,,,,'
NAME_ROW = '"(0010,0010)",PatientName,Patient\'s Name,Z,,,,,,,,,,'


def test_the_loader_reads_a_minimal_table() -> None:
    parsed = parse_deid_table(_csv(NAME_ROW, PRIVATE_ROW))
    assert [(r.pattern, r.keyword, r.action) for r in parsed.rows] == [("00100010", "PatientName", "Z")]


@pytest.mark.parametrize(("text", "line", "says"), [
    ("tag,keyword\n", 1, "header"),
    (_csv(NAME_ROW.replace(",Z,", ",Q,"), PRIVATE_ROW), 2, "basic_profile 'Q'"),
    (_csv(NAME_ROW.replace("(0010,0010)", "(0010,001)"), PRIVATE_ROW), 2, "tag '(0010,001)'"),
    (_csv(NAME_ROW.replace(",Z,,", ",Z,Y,"), PRIVATE_ROW), 2, "retain_safe_private 'Y'"),
    (_csv(NAME_ROW[:-1], PRIVATE_ROW), 2, "13 fields"),
    (_csv(NAME_ROW, NAME_ROW, PRIVATE_ROW), 3, "listed twice"),
    (_csv(NAME_ROW.replace("PatientName", "Patient Name"), PRIVATE_ROW), 2, "keyword 'Patient Name'"),
    (_csv(NAME_ROW), 2, "no Private Attributes row"),
    (_csv(NAME_ROW, '"(0010,0020)",PatientID,"unclosed'), 3, "not valid CSV"),
])
def test_a_malformed_row_stops_the_load_naming_line_and_field(text: str, line: int, says: str) -> None:
    with pytest.raises(DeidTableError) as caught:
        parse_deid_table(text, source="t.csv")
    assert caught.value.line == line
    assert says in str(caught.value) and str(caught.value).startswith(f"t.csv, line {line}:")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(_csv(NAME_ROW, PRIVATE_ROW).encode().replace(b"Patient's", b"Patient\xff"))
    with pytest.raises(DeidTableError, match="line 2: not UTF-8"):
        load_deid_table(path)
