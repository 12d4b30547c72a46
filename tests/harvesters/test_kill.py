"""A harvest killed with SIGKILL after the gather, and again during the import, leaves the published catalogue
exactly as it was; the next run converges. Runs real `manage.py` subprocesses on their own SQLite file."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HOOK = r"""
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()
import harvesters.services as services
mode, flag = sys.argv[1], sys.argv[2]

def announce_and_hang():
    with open(flag, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(600)

if mode == "after_gather":
    original = services._write_refused_paths
    def hook(*args, **kwargs):
        announce_and_hang()
    services._write_refused_paths = hook
else:
    original = services.dataset_upsert
    calls = [0]
    def hook(*args, **kwargs):
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == 3:
            announce_and_hang()
        return result
    services.dataset_upsert = hook
from django.core.management import call_command
call_command("harvest", "kill-node")
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "CELERY", "CACHE"))}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'kill.sqlite3'}",
            "ATLAS_VAR_DIR": str(tmp_path / "var"),
            "ATLAS_HARVEST_FILE_ROOTS": str(tmp_path.resolve()),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _sheet(path: Path, n: int, title: str) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "modalities", "n_subjects"])
        writer.writerows([[f"ds-{i}", f"{title} {i}", "CT", str(30 + i)] for i in range(n)])


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            "datasets": conn.execute(
                "SELECT identifier, content_hash, status, sort_title FROM catalogue_dataset ORDER BY identifier"
            ).fetchall(),
            "provenance": conn.execute(
                "SELECT guid, content_hash, withdrawn_at FROM catalogue_datasetprovenance ORDER BY guid"
            ).fetchall(),
            "index": conn.execute("SELECT identifier, body FROM search_searchdocument ORDER BY identifier").fetchall(),
            "records": conn.execute(
                "SELECT guid, content_hash, outcome FROM harvesters_harvestrecord ORDER BY guid"
            ).fetchall(),
        }


def _kill_during(mode: str, env: dict[str, str], tmp_path: Path) -> None:
    flag = tmp_path / f"{mode}.flag"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOOK, mode, str(flag)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while not flag.exists():
        assert proc.poll() is None, f"the harvest ended before reaching {mode}"
        assert time.monotonic() < deadline, f"the harvest never reached {mode}"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_after_gather_and_during_import_leaves_the_catalogue_unchanged(tmp_path):
    env = _env(tmp_path)
    db = tmp_path / "kill.sqlite3"
    sheet = tmp_path / "sheet.csv"
    _sheet(sheet, 12, "First")
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "load_vocabularies")
    _manage(
        env, "harvest_source", "add", "Kill node", "--kind", "descriptor_sheet", "--location", str(sheet), "--published"
    )
    _manage(env, "harvest", "kill-node")
    before = _snapshot(db)
    assert len(before["datasets"]) == 12 and len(before["index"]) == 12

    _sheet(sheet, 10, "Second")  # every title changes and two rows vanish
    _kill_during("after_gather", env, tmp_path)
    assert _snapshot(db) == before
    _kill_during("during_apply", env, tmp_path)
    assert _snapshot(db) == before

    _manage(env, "harvest", "kill-node")  # the next run converges (the killed jobs are expired first)
    after = _snapshot(db)
    assert [t for (_, _, _, t) in after["datasets"] if t.startswith("Second")] and len(after["datasets"]) == 12
    assert sum(1 for (_, _, status, _) in after["datasets"] if status == "withdrawn") == 2
    with sqlite3.connect(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM harvesters_harvestjob ORDER BY id")]
        codes = [r[0] for r in conn.execute("SELECT error_code FROM harvesters_harvestjob ORDER BY id")]
    assert statuses == ["completed", "failed", "failed", "completed"]
    assert codes[1:3] == ["abandoned", "abandoned"]
