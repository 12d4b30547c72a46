"""The node's own folder (`ATLAS_VAR_DIR`) and the development secret key: made when first needed, never at import.

Importing config.settings writes nothing. The folder is made by `manage.py` before it runs a command
(`prepare_var_dir`, so `migrate` on a fresh clone can create the SQLite file in it), and the secret key of a node
without `SECRET_KEY` is generated the first time something reads `settings.SECRET_KEY` (`generated_secret_key`),
then kept in `var/secret_key` (mode 0600) so every process of the node and every later run use the same key.
Production sets `SECRET_KEY` and never touches the file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from django.utils.functional import lazy

from config.env import env_str
from config.paths import REPO_ROOT


def var_dir() -> Path:
    """`ATLAS_VAR_DIR`, else var/ in the checkout: where SQLite, the generated key and static files live."""
    return Path(env_str("ATLAS_VAR_DIR", str(REPO_ROOT / "var")))


def prepare_var_dir(path: Path | None = None) -> Path:
    """Create the node's folder and its static/ sub-folder (idempotent)."""
    folder = path or var_dir()
    (folder / "static").mkdir(parents=True, exist_ok=True)
    return folder


def read_or_create_secret_key(path: Path) -> str:
    """The key kept in `path`, written first if there is none.

    The file is written whole under a temporary name and then hard-linked into place, which fails if another
    process got there first: two processes starting together end up with the same key, and nobody reads a
    half-written file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(64))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process wrote it first: use theirs
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 50:
        raise OSError(f"{path} holds no usable secret key; delete it to have a new one generated")
    return key


# A str whose value is computed on first use (Django reads settings.SECRET_KEY only when it signs or hashes).
generated_secret_key = lazy(read_or_create_secret_key, str)


if __name__ == "__main__":
    folder = prepare_var_dir()
    if not env_str("SECRET_KEY"):
        read_or_create_secret_key(folder / "secret_key")
    print(f"prepared {folder}")
