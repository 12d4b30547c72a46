"""Walking a dataset folder safely (docs/privacy.md P3): what the harvester may open, and what it must refuse.

Why separate from the harvester: the rules are about the file system, not DICOM, and are tested on their own.
No symlink may lead out of the dataset folder (realpath prefix check), FIFOs, devices and sockets are never
opened, depth and file count are bounded, names that look like a patient (R12 detectors) stop the walk of that
folder, and hidden entries are ignored. Nothing here opens a file: candidates carry only what `os.scandir`
and `stat` tell, so a re-harvest of an unchanged folder reads no file at all.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from harvesters.dicom_folder.detectors import detect_in_name
from harvesters.dicom_folder.sidecar import SIDECAR_NAME

# Extensions that are never DICOM instances. Anything else (including no extension, or a numeric suffix of a
# UID-named file) is a candidate and the gate decides (P2: "not Part-10" when the DICM preamble is missing).
NON_DICOM_SUFFIXES = frozenset({
    ".json", ".txt", ".md", ".csv", ".tsv", ".pdf", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff",
    ".xml", ".html", ".htm", ".nii", ".gz", ".zip", ".tar", ".tgz", ".7z", ".xlsx", ".xls", ".docx", ".doc",
    ".py", ".sh", ".log", ".yaml", ".yml", ".ini", ".cfg", ".nrrd", ".mha", ".mhd", ".raw", ".sha256", ".md5",
})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file that may be a DICOM instance: where it is (relative to the source location) and its stat."""

    rel: str
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class WalkProblem:
    """Something refused while walking; `rel` goes to the node-local report only."""

    rel: str
    code: str


@dataclass
class WalkStats:
    ignored: int = 0  # hidden entries, DICOMDIR, known non-DICOM files


def is_inside(path: str, root: str) -> bool:
    """True when the real path `path` is `root` or below it (both already realpath'ed)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk_dataset(
    location: str, dataset_dir: str, *, max_depth: int, stats: WalkStats
) -> Iterator[Candidate | WalkProblem]:
    """Yield the candidate files of one dataset folder and the problems met, in a stable (sorted) order.

    `location` and `dataset_dir` are real paths; depth 0 is the dataset folder itself. Symlinks are followed
    only when their target stays inside the dataset folder, and each real file is yielded once. Real and
    relative paths are built incrementally (a realpath per file would cost a dozen system calls).
    """
    seen: set[str] = {dataset_dir}
    rel_root = os.path.relpath(dataset_dir, location)
    stack: list[tuple[str, str, int]] = [(dataset_dir, rel_root, 0)]
    while stack:
        folder, folder_rel, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            yield WalkProblem(folder_rel, "unreadable_folder")
            continue
        subfolders: list[tuple[str, str, int]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                stats.ignored += 1
                continue
            if depth == 0 and name == SIDECAR_NAME:
                continue
            rel = f"{folder_rel}/{name}"
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                yield WalkProblem(rel, "unreadable")
                continue
            real = f"{folder}/{name}"  # `folder` is a real path, so this is too unless the entry is a link
            if stat.S_ISLNK(st.st_mode):
                real = os.path.realpath(entry.path)
                if not is_inside(real, dataset_dir):
                    yield WalkProblem(rel, "symlink_escapes_root")
                    continue
                try:
                    st = os.stat(real)
                except OSError:
                    yield WalkProblem(rel, "broken_symlink")
                    continue
            if stat.S_ISDIR(st.st_mode):
                if real in seen:
                    continue
                seen.add(real)
                if detect_in_name(name) is not None:
                    yield WalkProblem(rel, "folder_name_identifying")
                elif depth + 1 > max_depth:
                    yield WalkProblem(rel, "max_depth_exceeded")
                else:
                    subfolders.append((real, rel, depth + 1))
                continue
            if not stat.S_ISREG(st.st_mode):
                yield WalkProblem(rel, "not_regular_file")
                continue
            suffix = os.path.splitext(name)[1].lower()
            if name.upper() == "DICOMDIR" or suffix in NON_DICOM_SUFFIXES:
                stats.ignored += 1
                continue
            if real in seen:
                continue
            seen.add(real)
            yield Candidate(rel=rel, path=real, size=st.st_size, mtime_ns=st.st_mtime_ns)
        stack.extend(reversed(subfolders))
