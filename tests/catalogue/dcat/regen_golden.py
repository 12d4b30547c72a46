"""Rewrite tests/data/dcat_golden/*.json from the current parser: `python -m tests.catalogue.dcat.regen_golden`.

Run it only after a deliberate parser change, then review the diff: the golden test compares, it never writes.
The interoperability goldens (third-party feeds) are rewritten only when a reference corpus is configured
(`ATLAS_REFERENCE_DIR`, or ../shared/reference beside the checkout); without one they are left as they are.
"""

from __future__ import annotations

import sys

from config.paths import reference_dir
from tests.catalogue.dcat.golden import (
    GOLDEN_DIR,
    golden_name,
    is_interop_golden,
    project_cases,
    reference_inputs,
    render,
    summarise,
)


def _write(name: str, key: str, offline: bool) -> None:
    target = GOLDEN_DIR / name
    text = render(summarise(key, offline_context=offline))
    changed = not target.exists() or target.read_text(encoding="utf-8") != text
    target.write_text(text, encoding="utf-8")
    print(f"{'updated' if changed else 'same   '} {target.name}")


def main() -> int:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    corpus = reference_dir()
    expected: set[str] = set()
    for name, key, offline in project_cases():
        expected.add(name)
        _write(name, key, offline)
    if corpus is None:
        print("no reference corpus (set ATLAS_REFERENCE_DIR): the interoperability goldens are left as they are")
    else:
        for key in reference_inputs(corpus):
            name = golden_name(key)
            expected.add(name)
            _write(name, key, False)
    for stale in sorted(p for p in GOLDEN_DIR.glob("*.json") if p.name not in expected):
        if corpus is None and is_interop_golden(stale.name):
            continue
        stale.unlink()
        print(f"removed {stale.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
