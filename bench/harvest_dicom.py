"""Benchmark of the dicom_folder harvester against a bare pydicom loop over the same files (same run).

    .venv/bin/python bench/harvest_dicom.py [--subjects 25] [--instances 10] [--repeat 5]

Generates the demo node (about 2,750 small files) in a temporary folder, warms the page cache, then measures
(median of --repeat runs, files per second):

* bare loop: `pydicom.dcmread(path, stop_before_pixels=True, defer_size="256 KB")` on every candidate file,
  in one process - the floor any gate that reads the whole header sits on;
* the gate alone, in-process (workers=0): what the checks cost on top of the read;
* a full first harvest (walk, gate, aggregate, descriptors) with 1 and with 2 worker processes;
* a re-harvest of the unchanged folder (manifest reuse: no file is read).

Targets (issue brief): harvester >= 0.8x the bare loop per process, >= 1.7x from 1 to 2 processes,
re-harvest >= 10x faster than the first harvest. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _setup_django(var_dir: Path, harvest_root: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["ATLAS_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ["ATLAS_HARVEST_FILE_ROOTS"] = str(harvest_root)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from catalogue.vocabulary_loader import load_vocabularies

    load_vocabularies()


def _median_seconds(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=25)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-dicom-") as tmp:
        base = Path(tmp)
        node = base / "node"
        _setup_django(base / "var", base)

        import pydicom

        from harvesters.base import HarvestContext, HarvestCounters
        from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS, generate
        from harvesters.dicom_folder.gate import GatePolicy
        from harvesters.dicom_folder.harvester import DicomFolderHarvester
        from harvesters.dicom_folder.pool import gate_in_process
        from harvesters.dicom_folder.walker import Candidate, WalkStats, walk_dataset

        report = generate(node, subjects=args.subjects, instances=args.instances, seed=1)
        location = os.path.realpath(node)
        files = [
            found.path
            for dataset in sorted(p for p in node.iterdir() if p.is_dir())
            for found in walk_dataset(location, os.path.realpath(dataset), max_depth=8, stats=WalkStats())
            if isinstance(found, Candidate)
        ]
        for path in files:  # warm the page cache
            Path(path).read_bytes()
        n = len(files)
        print(f"{n} candidate files ({report.files} written) in {len(report.datasets)} datasets, "
              f"{sum(os.path.getsize(p) for p in files) / 1e6:.1f} MB; cpu_count={os.cpu_count()}; "
              f"median of {args.repeat}")

        def bare() -> None:
            for path in files:
                pydicom.dcmread(path, stop_before_pixels=True, defer_size="256 KB")

        policy = GatePolicy.from_options(DEMO_SOURCE_OPTIONS)

        def gate_only() -> None:
            for _key, _result in gate_in_process(((p, p) for p in files), policy):
                pass

        def context(workers: int, state: dict[str, Any] | None = None) -> HarvestContext:
            return HarvestContext(
                source_slug="bench", kind="dicom_folder", location=str(node),
                options={**DEMO_SOURCE_OPTIONS, "workers": workers}, counters=HarvestCounters(),
                report_dir=base, state={} if state is None else state,
            )

        def harvest(workers: int) -> Callable[[], Any]:
            def run() -> HarvestContext:
                ctx = context(workers)
                items = list(DicomFolderHarvester(ctx).gather())
                assert ctx.counters.identified == n and items
                return ctx

            return run

        seeded = harvest(1)()

        def reharvest() -> None:
            ctx = context(1, dict(seeded.state))
            list(DicomFolderHarvester(ctx).gather())
            assert ctx.counters.skipped_unchanged == n

        rows: list[tuple[str, float]] = []
        for label, run in (
            ("bare pydicom loop (1 process)", bare),
            ("gate only, in-process (workers=0)", gate_only),
            ("harvest, 1 worker process", harvest(1)),
            ("harvest, 2 worker processes", harvest(2)),
            ("re-harvest unchanged (manifest)", reharvest),
        ):
            seconds = _median_seconds(run, args.repeat)
            rows.append((label, seconds))

        rate = {label: n / seconds for label, seconds in rows}
        bare_rate = rate["bare pydicom loop (1 process)"]
        print(f"\n| {'run':<36} | {'seconds':>8} | {'files/s':>9} | {'vs bare':>8} |")
        print(f"|{'-' * 38}|{'-' * 10}|{'-' * 11}|{'-' * 10}|")
        for label, seconds in rows:
            print(f"| {label:<36} | {seconds:8.3f} | {rate[label]:9.0f} | {rate[label] / bare_rate:7.2f}x |")

        one, two = rate["harvest, 1 worker process"], rate["harvest, 2 worker processes"]
        again = rate["re-harvest unchanged (manifest)"]
        checks = (
            ("harvester per process vs bare loop", one / bare_rate, 0.8),
            ("2 processes vs 1", two / one, 1.7),
            ("re-harvest vs first harvest (1 worker)", again / one, 10.0),
        )
        print()
        for label, ratio, target in checks:
            print(f"{label:<40} {ratio:6.2f}x  target >= {target}x  {'met' if ratio >= target else 'MISSED'}")


if __name__ == "__main__":
    main()
