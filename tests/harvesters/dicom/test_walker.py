"""P3: what a walk of a dataset folder yields, skips and refuses."""

from __future__ import annotations

import os
from pathlib import Path

from harvesters.dicom_folder.walker import Candidate, WalkProblem, WalkStats, walk_dataset


def _walk(location: Path, dataset: Path, max_depth: int = 8) -> tuple[list[Candidate], list[WalkProblem], WalkStats]:
    stats = WalkStats()
    found = list(walk_dataset(os.path.realpath(location), os.path.realpath(dataset), max_depth=max_depth,
                              stats=stats))
    return ([f for f in found if isinstance(f, Candidate)], [f for f in found if isinstance(f, WalkProblem)], stats)


def test_walk_yields_candidates_and_refuses_what_p3_forbids(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.dcm").write_bytes(b"x")
    dataset = tmp_path / "loc" / "ds"
    (dataset / "a" / "b").mkdir(parents=True)
    (dataset / "dataset.json").write_text("{}")
    (dataset / "a" / "IM1").write_bytes(b"1")
    (dataset / "a" / "b" / "IM2.dcm").write_bytes(b"2")
    (dataset / "a" / "README.txt").write_text("notes")
    (dataset / "DICOMDIR").write_bytes(b"dir")
    (dataset / ".hidden").write_bytes(b"h")
    (dataset / "escape.dcm").symlink_to(outside / "secret.dcm")
    (dataset / "escape-dir").symlink_to(outside, target_is_directory=True)
    (dataset / "inside-link").symlink_to(dataset / "a" / "IM1")
    os.mkfifo(dataset / "fifo")
    (dataset / "Doe^Jane").mkdir()
    (dataset / "Doe^Jane" / "IM3").write_bytes(b"3")

    candidates, problems, stats = _walk(tmp_path / "loc", dataset)

    # Each real file once: the link inside the dataset and its target are the same file.
    assert sorted(c.path for c in candidates) == sorted(
        os.path.realpath(p) for p in (dataset / "a" / "IM1", dataset / "a" / "b" / "IM2.dcm"))
    assert len(candidates) == 2
    assert sorted((p.rel, p.code) for p in problems) == [
        ("ds/Doe^Jane", "folder_name_identifying"),
        ("ds/escape-dir", "symlink_escapes_root"),
        ("ds/escape.dcm", "symlink_escapes_root"),
        ("ds/fifo", "not_regular_file"),
    ]
    assert stats.ignored == 3  # README.txt, DICOMDIR, .hidden
    assert all(c.size == 1 and c.mtime_ns > 0 for c in candidates)


def test_walk_stops_at_the_maximum_depth(tmp_path: Path) -> None:
    dataset = tmp_path / "ds"
    deep = dataset / "l1" / "l2" / "l3"
    deep.mkdir(parents=True)
    (deep / "IM1").write_bytes(b"1")
    (dataset / "l1" / "IM0").write_bytes(b"0")
    candidates, problems, _ = _walk(tmp_path, dataset, max_depth=2)
    assert [c.rel for c in candidates] == ["ds/l1/IM0"]
    assert [(p.rel, p.code) for p in problems] == [("ds/l1/l2/l3", "max_depth_exceeded")]


def test_symlink_loops_inside_the_dataset_end(tmp_path: Path) -> None:
    dataset = tmp_path / "ds"
    (dataset / "a").mkdir(parents=True)
    (dataset / "a" / "IM1").write_bytes(b"1")
    (dataset / "a" / "loop").symlink_to(dataset, target_is_directory=True)
    candidates, problems, _ = _walk(tmp_path, dataset)
    assert [c.rel for c in candidates] == ["ds/a/IM1"]
    assert problems == []
