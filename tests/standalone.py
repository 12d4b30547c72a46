"""Guard: the product and its tests read nothing outside the repository (the interoperability set excepted).

An audit hook (PEP 578) sees every `open`, `os.listdir` and `os.scandir` of this test process. A path is
"outside" when it is not under the repository and not under the places any Python program reads: the
interpreter and its site-packages, the temporary folder, and the operating system's own folders. Tests marked
`interop` may also read the reference corpus (`config.paths.reference_dir()`). A test that reads anything
else fails at teardown, naming the path; a read during collection or at session level fails the run.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile

from config.paths import REPO_ROOT, reference_dir

_SYSTEM_ROOTS = ("/dev", "/proc", "/sys", "/etc", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/run", "/var/run",
                 "/var/lib/postgresql", "/var/run/postgresql", "/opt")


def _allowed_roots() -> tuple[str, ...]:
    roots = {str(REPO_ROOT), os.path.realpath(REPO_ROOT), tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}
    roots.update(p for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix) if p)
    roots.update(v for v in sysconfig.get_paths().values() if v)
    roots.update(_SYSTEM_ROOTS)
    return tuple(sorted({r.rstrip("/") or "/" for r in roots}))


ALLOWED_ROOTS = _allowed_roots()


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


_REPO = os.path.realpath(REPO_ROOT)
_PARENT = os.path.dirname(_REPO)
# The folder the checkout sits in is where a sibling such as ../shared lives: reads there are outside even when a
# broad allowed root (the temporary folder, /opt) contains the checkout, unless that folder IS such a root.
_SIBLINGS_CHECKED = _PARENT not in ALLOWED_ROOTS and os.path.dirname(_PARENT) != _PARENT


def outside_repository(path: object, *, interop: bool = False) -> str | None:
    """The absolute path when reading `path` breaks the rule, else None (file descriptors and bytes are fine)."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str | os.PathLike):
        return None
    text = os.path.abspath(os.fspath(path))
    if _under(text, (str(REPO_ROOT), _REPO)):
        return None
    beside = _SIBLINGS_CHECKED and _under(os.path.realpath(text), (_PARENT,))
    if not beside and _under(text, ALLOWED_ROOTS):
        return None
    if interop:
        corpus = reference_dir()
        if corpus is not None and _under(os.path.realpath(text), (str(corpus),)):
            return None
    return text


class ReadRecorder:
    """Collects the outside reads of the current test (or of the session outside any test)."""

    def __init__(self) -> None:
        self.interop = False
        self.reads: list[str] = []
        self._busy = False

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if self._busy or event not in ("open", "os.listdir", "os.scandir") or not args:
            return
        if event == "open" and len(args) > 1 and isinstance(args[1], str) and any(c in args[1] for c in "wax"):
            return  # writes are not reads (and tests write only to their temp folders)
        self._busy = True
        try:
            found = outside_repository(args[0], interop=self.interop)
            if found is not None and found not in self.reads:
                self.reads.append(found)
        finally:
            self._busy = False

    def take(self) -> list[str]:
        reads, self.reads = self.reads, []
        return reads


RECORDER = ReadRecorder()
