"""Cohort counts: the cohort service against DuckDB over the idc-index-data parquet files, same questions.

    .venv/bin/python bench/cohorts.py [--database sqlite:////path/atlas.sqlite3] [--repeat 20] [--threads 2]

Without --database a fresh SQLite catalogue is built in a temporary folder (migrate, vocabularies, the whole
IDC index: about a minute). With one, the IDC source is harvested into it only when it has none yet.

For every question of tests/search/cohorts/duckdb_reference.py it first checks that both give the same
numbers before disclosure control (the comparison of the slow test), then times, warm and in-process:
the service's published answer (`search.cohorts.services.cohort_count`, what the API returns), DuckDB on the
series table loaded once into memory, and DuckDB reading the parquet file on every question. Median of
`--repeat` runs each; ratio = service / DuckDB (below 1.0: the service is faster). Never run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(database: str | None) -> None:
    if database:
        os.environ["DATABASE_URL"] = database
    else:
        folder = tempfile.mkdtemp(prefix="atlas-bench-cohorts-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ["ATLAS_VAR_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from catalogue.models import Source

    if database is None or not Source.objects.filter(kind="idc_index").exists():
        call_command("migrate", "--no-input", verbosity=0)
        call_command("load_vocabularies", verbosity=0)
        from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

        started = time.perf_counter()
        source = harvest_source_add(name="IDC", kind="idc_index", location="package", options={}, published=True)
        job = harvest_job_run(job_id=harvest_job_create(source=source).pk)
        print(f"harvested the IDC index: {job.status}, {time.perf_counter() - started:.1f} s")


def _median_ms(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="DATABASE_URL of a catalogue to use (default: a fresh SQLite one)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    _setup(args.database)

    from django.db import connection

    from catalogue.models import Dataset, StudyFact
    from search.cohorts.index import build_index
    from search.cohorts.services import cohort_count
    from tests.search.cohorts import duckdb_reference as ref
    from tests.search.cohorts.test_idc_duckdb import _resolve, compare_with_duckdb, criteria_of

    con = ref.connect(threads=args.threads)
    compare_with_duckdb(con, dict(Dataset.objects.values_list("identifier", "provenance_records__guid")))
    print(f"same numbers before disclosure control on all {len(ref.QUESTIONS)} questions "
          f"({StudyFact.objects.count():,} study facts, {connection.vendor})")
    started = time.perf_counter()
    build_index()
    print(f"fact index loaded in {time.perf_counter() - started:.2f} s (once per change of the facts)\n")
    raw = ref.raw_values(con, _resolve)

    print(f"median of {args.repeat}, ms; DuckDB with {args.threads} threads")
    print(f"{'question':34} {'service':>8} {'duckdb mem':>10} {'duckdb parquet':>14} {'ratio mem':>9} {'ratio pq':>8}")
    ratios_mem, ratios_pq = [], []
    for q in ref.QUESTIONS:
        criteria = criteria_of(q)
        cohort_count(criteria=criteria)  # warm
        ours = _median_ms(lambda c=criteria: cohort_count(criteria=c), args.repeat)
        mem = _median_ms(lambda q=q: ref.answer(con, q, raw), args.repeat)
        pq = _median_ms(lambda q=q: ref.answer(con, q, raw, source="series_parquet"), args.repeat)
        ratios_mem.append(ours / mem)
        ratios_pq.append(ours / pq)
        print(f"{q.name:34} {ours:8.1f} {mem:10.1f} {pq:14.1f} {ours / mem:9.2f} {ours / pq:8.2f}")
    print(f"\nmedian ratio service / DuckDB: {statistics.median(ratios_mem):.2f} (in memory), "
          f"{statistics.median(ratios_pq):.2f} (parquet); target <= 1.0")


if __name__ == "__main__":
    main()
