"""The guard of tests/standalone.py is active and catches a read outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

from config.paths import REPO_ROOT
from tests.standalone import RECORDER, outside_repository


def test_a_read_beside_the_repository_is_caught_by_the_running_guard(tmp_path: Path) -> None:
    sibling = REPO_ROOT.parent / "sibling" / "README.md"
    try:
        with open(sibling, "rb"):
            pass
    except OSError:
        pass  # the read attempt is what counts, whether or not the file exists on this machine
    caught = RECORDER.take()
    assert str(sibling) in caught


def test_repository_temporary_and_interpreter_paths_are_inside() -> None:
    assert outside_repository(REPO_ROOT / "catalogue" / "models.py") is None
    assert outside_repository(os.path.join(os.sys.prefix, "lib")) is None
    assert outside_repository("/tmp/x") is None
    assert outside_repository(REPO_ROOT.parent / "sibling" / "x") == str(REPO_ROOT.parent / "sibling" / "x")
    assert outside_repository(Path.home() / ".netrc") is not None or str(Path.home()).startswith(str(REPO_ROOT))


def test_file_descriptors_are_not_paths() -> None:
    assert outside_repository(3) is None
