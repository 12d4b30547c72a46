"""Migrations are frozen: the models match them, and a migration file, once written, never changes.

A database that ran a migration never runs it again, so editing one forks the schema of every deployed
database from a fresh one. A model change is a NEW migration (`python manage.py makemigrations`), then its
hash is pinned with `python -m tests.catalogue.test_migrations --pin` (which adds pins for new files and
never rewrites an existing one). tests/data/migration_hashes.json holds the pins.
"""

from __future__ import annotations

import hashlib
import json
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from config.paths import REPO_ROOT, TEST_DATA_DIR

PINS = TEST_DATA_DIR / "migration_hashes.json"
APPS = ("catalogue", "harvesters", "search")


def migration_files() -> dict[str, Path]:
    """Every migration module of the project's apps, by its path relative to the repository."""
    found = {}
    for app in APPS:
        for path in sorted((REPO_ROOT / app / "migrations").glob("[0-9]*.py")):
            found[path.relative_to(REPO_ROOT).as_posix()] = path
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_pins() -> dict[str, str]:
    return json.loads(PINS.read_text(encoding="utf-8"))["sha256"]


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_no_pinned_migration_was_edited_or_removed():
    files = migration_files()
    changed = [name for name, digest in load_pins().items() if name not in files or sha256(files[name]) != digest]
    assert not changed, (
        f"migration(s) edited or removed after they were pinned: {changed}. Migrations are frozen: restore the file "
        "and put the change in a new migration (python manage.py makemigrations)."
    )


def test_every_migration_is_pinned():
    unpinned = sorted(set(migration_files()) - set(load_pins()))
    assert not unpinned, f"new migration(s) {unpinned}: pin them with `python -m tests.catalogue.test_migrations --pin`"


def pin_new_migrations() -> list[str]:
    """Add the hash of every migration not pinned yet; an existing pin is never changed."""
    pins = load_pins() if PINS.exists() else {}
    added = [name for name in migration_files() if name not in pins]
    pins.update({name: sha256(path) for name, path in migration_files().items() if name in added})
    PINS.write_text(json.dumps({
        "about": "SHA-256 of every migration file: migrations are frozen, a change is a new migration "
                 "(tests/catalogue/test_migrations.py)",
        "sha256": dict(sorted(pins.items())),
    }, indent=2) + "\n", encoding="utf-8")
    return added


if __name__ == "__main__":
    if sys.argv[1:] != ["--pin"]:
        sys.exit("usage: python -m tests.catalogue.test_migrations --pin")
    print("pinned:", ", ".join(pin_new_migrations()) or "nothing new")
