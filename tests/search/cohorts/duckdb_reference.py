"""The cohort semantics of docs/privacy.md §0.4 written as DuckDB SQL over the idc-index-data parquet files.

An independent second implementation: it reads the series table the IDC harvester reads, groups it into
studies itself and counts distinct PatientID per collection. The test suite pins the cohort service against it
(tests/search/cohorts/test_idc_duckdb.py) and bench/cohorts.py times both on the same questions.

Raw DICOM values are compared through the same vocabulary mapping the catalogue uses (the caller passes, for
each modality and body-part code, the raw values that map to it), since the question is asked in codes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STUDIES_SQL = """
CREATE OR REPLACE TEMP {kind} {name} AS
SELECT collection_id, StudyInstanceUID, PatientID, PatientSex, PatientAge, StudyDate, Modality, BodyPartExamined,
       lower(trim(Manufacturer)) AS manufacturer
FROM read_parquet('{path}')
"""

# Per study, as the harvester defines a study fact (harvesters/idc_index.py): sex M/F/O else U, age from the
# DICOM age string ("000Y" is unknown), 5-year band top-coded at 90, year of the earliest StudyDate.
STUDY_COLUMNS = """
    collection_id, StudyInstanceUID,
    min(PatientID) AS pid,
    min(CASE WHEN upper(substr(trim(PatientSex), 1, 1)) IN ('M', 'F', 'O') THEN upper(substr(trim(PatientSex), 1, 1))
             ELSE 'U' END) AS sex,
    min(CASE WHEN regexp_full_match(trim(PatientAge), '[0-9]{3}[DWMY]') AND trim(PatientAge) NOT IN
                  ('000Y', '000M', '000W', '000D')
             THEN least(90, (CASE substr(trim(PatientAge), 4, 1)
                                 WHEN 'Y' THEN CAST(substr(trim(PatientAge), 1, 3) AS INTEGER)
                                 WHEN 'M' THEN CAST(substr(trim(PatientAge), 1, 3) AS INTEGER) // 12
                                 WHEN 'W' THEN CAST(substr(trim(PatientAge), 1, 3) AS INTEGER) * 7 * 4 // 1461
                                 ELSE CAST(substr(trim(PatientAge), 1, 3) AS INTEGER) * 4 // 1461 END) // 5 * 5)
        END) AS age_band,
    CAST(substr(min(StudyDate), 1, 4) AS INTEGER) AS year
"""


@dataclass(frozen=True)
class Question:
    """A cohort question in codes, as the API takes it (ages already snapped to band edges)."""

    name: str
    modalities: tuple[str, ...] = ()
    modality_match: str = "any"
    body_parts: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    year_min: int | None = None
    year_max: int | None = None
    manufacturers: tuple[str, ...] = ()

    def uses(self) -> set[str]:
        """Study attributes the question depends on (to leave out collections where IDC is ambiguous)."""
        used = {"pid"}
        if self.sexes:
            used.add("sex")
        if self.age_min is not None or self.age_max is not None:
            used.add("age")
        return used


def index_dir() -> str:
    import idc_index_data

    return os.path.dirname(idc_index_data.IDC_INDEX_PARQUET_FILEPATH)


def connect(threads: int = 2) -> Any:
    """A DuckDB connection with the series table loaded once into memory (`series`, as the cohort service
    loads its facts once) and the same columns read from the parquet file on every question (`series_parquet`)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    path = os.path.join(index_dir(), "idc_index.parquet").replace("'", "''")
    con.execute(STUDIES_SQL.format(kind="TABLE", name="series", path=path))
    con.execute(STUDIES_SQL.format(kind="VIEW", name="series_parquet", path=path))
    return con


def _in(column: str, values: Sequence[str], params: list[Any]) -> str:
    if not values:
        return "FALSE"
    params.extend(values)
    return f"{column} IN ({', '.join('?' for _ in values)})"


def question_sql(
    q: Question, raw: Mapping[str, Mapping[str, Sequence[str]]], source: str = "series"
) -> tuple[str, list[Any]]:
    """SQL returning (collection_id, subjects, studies) for the question; `raw[kind][code]` lists raw values."""
    params: list[Any] = []
    flags = []
    for code in q.modalities:
        flags.append(f"bool_or({_in('Modality', raw['modality'].get(code, ()), params)}) AS has_{len(flags)}")
    for code in q.body_parts:
        flags.append(f"bool_or({_in('BodyPartExamined', raw['body_part'].get(code, ()), params)}) AS part_{len(flags)}")
    for name in q.manufacturers:
        params.append(name.casefold())
        flags.append(f"bool_or(manufacturer = ?) AS maker_{len(flags)}")
    columns = STUDY_COLUMNS + "".join(f",\n    {f}" for f in flags)
    where = []
    names = [f.rsplit(" AS ", 1)[1] for f in flags]
    mods = [n for n in names if n.startswith("has_")]
    parts = [n for n in names if n.startswith("part_")]
    makers = [n for n in names if n.startswith("maker_")]
    if mods:
        where.append("(" + " OR ".join(mods) + ")")
    if parts:
        where.append("(" + " OR ".join(parts) + ")")
    if makers:
        where.append("(" + " OR ".join(makers) + ")")
    if q.sexes:
        where.append(_in("sex", q.sexes, params))
    if q.age_min is not None:
        where.append(f"age_band >= {int(q.age_min)}")
    if q.age_max is not None:
        where.append(f"age_band <= {int(q.age_max)}")
    if q.year_min is not None:
        where.append(f"year >= {int(q.year_min)}")
    if q.year_max is not None:
        where.append(f"year <= {int(q.year_max)}")
    matched = f"SELECT * FROM (SELECT {columns} FROM {source} GROUP BY collection_id, StudyInstanceUID) " + (
        "WHERE " + " AND ".join(where) if where else "")
    if q.modality_match == "all" and len(mods) > 1:
        covering = " AND ".join(f"bool_or({m})" for m in mods)
        sql = (f"WITH matched AS ({matched}), subjects AS (SELECT collection_id, pid FROM matched "
               f"GROUP BY collection_id, pid HAVING {covering}) "
               "SELECT collection_id, count(DISTINCT pid), count(*) FROM matched JOIN subjects USING (collection_id, pid) "
               "GROUP BY collection_id")
    else:
        sql = f"SELECT collection_id, count(DISTINCT pid), count(*) FROM ({matched}) GROUP BY collection_id"
    return sql, params


def answer(
    con: Any, q: Question, raw: Mapping[str, Mapping[str, Sequence[str]]], source: str = "series"
) -> dict[str, tuple[int, int]]:
    """collection_id -> (subjects, studies), collections with no match left out."""
    sql, params = question_sql(q, raw, source)
    return {cid: (int(s), int(n)) for cid, s, n in con.execute(sql, params).fetchall()}


def ambiguous_studies(con: Any) -> dict[str, dict[str, int]]:
    """Per attribute (pid, sex, age), the collections with studies whose series disagree, and how many.

    The harvester keeps one of the values (pyarrow's `one`), which one is not defined, so on such a study a
    question using the attribute has no single right answer: each such study may move a count by one.
    """
    per_series = STUDY_COLUMNS.replace("min(PatientID)", "PatientID").replace("min(CASE", "(CASE").replace(
        "CAST(substr(min(StudyDate), 1, 4) AS INTEGER)", "StudyDate")
    rows = con.execute(f"""
        SELECT collection_id, count(*) FILTER (WHERE n_pid > 1), count(*) FILTER (WHERE n_sex > 1),
               count(*) FILTER (WHERE n_age > 1)
        FROM (SELECT collection_id, StudyInstanceUID, count(DISTINCT coalesce(pid, '')) AS n_pid,
                     count(DISTINCT sex) AS n_sex, count(DISTINCT coalesce(age_band, -1)) AS n_age
              FROM (SELECT {per_series} FROM series)
              GROUP BY collection_id, StudyInstanceUID)
        GROUP BY collection_id
    """).fetchall()
    out: dict[str, dict[str, int]] = {"pid": {}, "sex": {}, "age": {}}
    for cid, *counts in rows:
        for name, n in zip(("pid", "sex", "age"), counts, strict=True):
            if n:
                out[name][cid] = int(n)
    return out


def raw_values(con: Any, resolve: Any) -> dict[str, dict[str, list[str]]]:
    """For each modality / body-part code, the raw DICOM values that `resolve(scheme, raw)` maps to it."""
    out: dict[str, dict[str, list[str]]] = {"modality": {}, "body_part": {}}
    for kind, column, scheme in (("modality", "Modality", "modality"), ("body_part", "BodyPartExamined", "body-part")):
        for (value,) in con.execute(f"SELECT DISTINCT {column} FROM series WHERE {column} IS NOT NULL").fetchall():
            code = resolve(scheme, value)
            if code:
                out[kind].setdefault(code, []).append(value)
    return out


QUESTIONS: tuple[Question, ...] = (
    Question("CT", modalities=("CT",)),
    Question("MR female", modalities=("MR",), sexes=("F",)),
    Question("CT or PT", modalities=("CT", "PT")),
    Question("CT and PT (all)", modalities=("CT", "PT"), modality_match="all"),
    Question("CT and SEG (all), 2000-2010", modalities=("CT", "SEG"), modality_match="all", year_min=2000,
             year_max=2010),
    Question("chest", body_parts=("CHEST",)),
    Question("breast MG or MR, female", modalities=("MG", "MR"), body_parts=("BREAST",), sexes=("F",)),
    Question("male 60-69", sexes=("M",), age_min=60, age_max=69),
    Question("90+", age_min=90),
    Question("SIEMENS CT 2010-2015", modalities=("CT",), manufacturers=("SIEMENS",), year_min=2010, year_max=2015),
    Question("GE MR, 40-64", modalities=("MR",), manufacturers=("GE MEDICAL SYSTEMS",), age_min=40, age_max=64),
    Question("everything"),
)
