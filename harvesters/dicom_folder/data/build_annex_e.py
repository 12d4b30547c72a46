"""Rebuild ps3.15-annex-e.csv from its two inputs (a maintenance tool, run by hand; the product never runs it).

Usage:
    python harvesters/dicom_folder/data/build_annex_e.py DEID-TAGS.md IDISCORE_PUBLIC_DICOM_PY [OUT.csv]

* DEID-TAGS.md: the project's transcription of PS3.15 Table E.1-1 (DICOM 2024b), one section per Basic
  Profile action. It gives the rows and their Basic Profile action.
* IDISCORE_PUBLIC_DICOM_PY: `idiscore/_public_dicom.py` from the idiscore 1.2.0 wheel on PyPI, a table the
  idiscore authors generated from the PS3.15 web edition on 2024-09-19. It is read with `ast` (never imported)
  and gives only the option columns, i.e. which option marks an attribute K (keep) or C (clean).

The build stops when the two disagree on any row's Basic Profile action, so the option marks are only taken
from a table whose Basic Profile column is identical to the one the project transcribed. See NOTICE.md.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import sys
from pathlib import Path

from pydicom.datadict import dictionary_description, dictionary_has_tag, keyword_for_tag

HERE = Path(__file__).resolve().parent
OUT = HERE / "ps3.15-annex-e.csv"

# idiscore rule-set code (PS3.16 CID 7050) -> CSV column, in the standard's column order.
OPTION_COLUMNS = {
    "113111": "retain_safe_private",
    "113110": "retain_uids",
    "113109": "retain_device_identity",
    "113112": "retain_institution_identity",
    "113108": "retain_patient_characteristics",
    "113106": "retain_long_full_dates",
    "113107": "retain_long_modified_dates",
    "113105": "clean_descriptors",
    "113104": "clean_structured_content",
    "113103": "clean_graphics",
}
HEADER = ["tag", "keyword", "name", "basic_profile", *OPTION_COLUMNS.values()]
_IDISCORE_ACTIONS = {
    "DUMMY": "D", "EMPTY": "Z", "REMOVE": "X", "UID": "U", "KEEP": "K", "CLEAN": "C", "EMPTY_OR_DUMMY": "Z/D",
    "REMOVE_OR_EMPTY": "X/Z", "REMOVE_OR_DUMMY": "X/D", "REMOVE_OR_EMPTY_OR_DUMMY": "X/Z/D",
    "REMOVE_OR_EMPTY_OR_UID": "X/Z/U*",
}
_MASKED_KEYWORDS = {"50xxxxxx": "CurveData", "60xx4000": "OverlayComments", "60xx3000": "OverlayData"}
_SECTION = re.compile(r"^\*\*(?P<action>[XZDU/\\*]+)(?::[^*]*)?\*\*\s*$", re.M)
_ENTRY = re.compile(
    r"^\((?P<g>[0-9A-Fa-fx]{4}),(?P<e>[0-9A-Fa-fx]{4})\)"
    r"(?:\s*[\u2013-]\s*\((?P<g2>[0-9A-Fa-f]{4}),(?P<e2>[0-9A-Fa-f]{4})\))?"
    r"\s+(?P<name>.+?)\s*$"
)
PRIVATE = "private"


def parse_markdown(text: str) -> dict[str, tuple[str, str, str]]:
    """pattern -> (keyword, name, action) for every row of DEID-TAGS.md; a range becomes the tags pydicom knows."""
    rows: dict[str, tuple[str, str, str]] = {}
    sections = list(_SECTION.finditer(text))
    if not sections:
        raise SystemExit("no **ACTION** sections: not the DEID-TAGS.md format")
    for i, section in enumerate(sections):
        action = section.group("action").replace("\\", "")
        end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
        body = " ".join(text[section.end():end].split())
        for raw in body.rstrip(".").split("; "):
            entry = _ENTRY.match(raw.strip())
            if entry is None:
                raise SystemExit(f"section {action}: cannot parse {raw[:60]!r}")
            g, e, name = entry.group("g").lower(), entry.group("e").lower(), entry.group("name")
            if entry.group("g2"):
                start, stop = int(g + e, 16), int(entry.group("g2") + entry.group("e2"), 16)
                for tag in (t for t in range(start, stop + 1) if dictionary_has_tag(t)):
                    rows[f"{tag:08x}"] = (keyword_for_tag(tag), dictionary_description(tag), action)
                continue
            pattern = g + e
            keyword = _MASKED_KEYWORDS.get(pattern) or keyword_for_tag(int(pattern, 16))
            if not keyword:
                raise SystemExit(f"{pattern} {name}: pydicom has no keyword; add one by hand")
            if pattern in rows:
                raise SystemExit(f"{pattern} listed twice")
            rows[pattern] = (keyword, name, action)
    return rows


def parse_idiscore(text: str) -> dict[str, dict[str, str]]:
    """rule-set code -> {pattern or "private": action letter(s)} from idiscore's generated module."""
    out: dict[str, dict[str, str]] = {}
    for node in ast.walk(ast.parse(text)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "RawNemaRuleSet"):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        code = ast.literal_eval(keywords["code"])
        rules: dict[str, str] = {}
        for element in keywords["rules"].elts:  # type: ignore[attr-defined]
            identifier, action = element.elts
            kind = identifier.func.id
            key = PRIVATE if kind == "PrivateTags" else ast.literal_eval(identifier.args[0]).lower()
            rules[key] = _IDISCORE_ACTIONS[action.attr]
        out[code] = rules
    return out


def tag_text(pattern: str) -> str:
    return f"({pattern[:4].upper()},{pattern[4:].upper()})".replace("X", "x")


def build(markdown: str, idiscore: str) -> tuple[str, list[str]]:
    """The CSV text and the notes to print (rows the scrape has that the transcription does not)."""
    rows = parse_markdown(markdown)
    sets = parse_idiscore(idiscore)
    basic = sets.pop("113100")
    differ = [p for p, (_, _, action) in rows.items() if basic.get(p) != action]
    if differ:
        raise SystemExit(f"Basic Profile actions differ from the scrape for {differ}: not the same table")
    if set(sets) != set(OPTION_COLUMNS):
        raise SystemExit(f"unexpected option rule sets {sorted(sets)}")
    notes = [f"in the scrape only (not written): {p} {basic[p]}" for p in sorted(set(basic) - set(rows) - {PRIVATE})]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for pattern in sorted(rows, key=lambda p: (p.replace("x", "0"), p)):
        keyword, name, action = rows[pattern]
        marks = [sets[code].get(pattern, "") for code in OPTION_COLUMNS]
        writer.writerow([tag_text(pattern), keyword, name, action, *marks])
    if basic.get(PRIVATE) != "X":
        raise SystemExit("the scrape has no Private Attributes row with action X")
    writer.writerow(["(gggg,eeee)", "", "Private Attributes", "X",
                     *[sets[code].get(PRIVATE, "") for code in OPTION_COLUMNS]])
    return buffer.getvalue(), notes


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4):
        raise SystemExit(__doc__)
    text, notes = build(Path(argv[1]).read_text(encoding="utf-8"), Path(argv[2]).read_text(encoding="utf-8"))
    out = Path(argv[3]) if len(argv) == 4 else OUT
    out.write_text(text, encoding="utf-8")
    for note in notes:
        print(note)
    print(f"wrote {text.count(chr(10)) - 1} rows to {out}")


if __name__ == "__main__":
    main(sys.argv)
