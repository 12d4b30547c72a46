"""Rewrite tests/data/dcat_golden/*.json from the current parser: `python -m tests.catalogue.dcat.regen_golden`.

Run it only after a deliberate parser change, then review the diff: the golden test compares, it never writes.
"""

from __future__ import annotations

import sys

from tests.catalogue.dcat.golden import GOLDEN_DIR, golden_cases, render, summarise


def main() -> int:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    expected = set()
    for name, path, offline in golden_cases():
        target = GOLDEN_DIR / name
        expected.add(target.name)
        text = render(summarise(path, offline_context=offline))
        changed = not target.exists() or target.read_text(encoding="utf-8") != text
        target.write_text(text, encoding="utf-8")
        print(f"{'updated' if changed else 'same   '} {target.name}")
    for stale in sorted(p for p in GOLDEN_DIR.glob("*.json") if p.name not in expected):
        stale.unlink()
        print(f"removed {stale.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
