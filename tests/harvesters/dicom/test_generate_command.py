"""generate_demo_dicom: deterministic for a seed, idempotent, and every synthetic file passes the gate."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

from harvesters.dicom_folder.demo import DEMO_SOURCE_OPTIONS
from harvesters.dicom_folder.gate import ACCEPTED, GatePolicy, check_file
from harvesters.dicom_folder.sidecar import read_sidecar


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file()}


def _run(output: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("generate_demo_dicom", str(output), "--subjects", "2", "--instances", "2",
                 *args, stdout=out)
    return out.getvalue()


def test_generation_is_deterministic_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", "--seed", "3")
    tree = _tree(tmp_path / "a")
    assert "0 unchanged" in first
    second = _run(tmp_path / "a", "--seed", "3")
    assert f"0 written, {len(tree)} unchanged" in second
    assert _tree(tmp_path / "a") == tree  # same bytes, same modification times
    _run(tmp_path / "b", "--seed", "3")
    assert {k: v[0] for k, v in _tree(tmp_path / "b").items()} == {k: v[0] for k, v in tree.items()}
    _run(tmp_path / "c", "--seed", "4")
    assert {k: v[0] for k, v in _tree(tmp_path / "c").items()} != {k: v[0] for k, v in tree.items()}
    printed = first[first.index("{"):]
    assert json.loads(printed) == DEMO_SOURCE_OPTIONS


def test_generated_folder_has_valid_sidecars_and_gate_accepted_synthetic_files(tmp_path: Path) -> None:
    _run(tmp_path, "--datasets", "5")
    datasets = sorted(p.name for p in tmp_path.iterdir())
    assert datasets == ["breast-mr-demo", "head-neck-ct-pet-demo", "lung-ct-demo", "lung-ct-demo-2",
                        "prostate-mr-demo", "refused-samples", "tcia-samples"]
    policy = GatePolicy.from_options(DEMO_SOURCE_OPTIONS)
    for name in datasets:
        assert read_sidecar(tmp_path / name).identifier == name
    synthetic = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "dataset.json"
                 and p.parts[-5].endswith(("-demo", "-demo-2"))]
    assert synthetic and all(check_file(p, policy).status == ACCEPTED for p in synthetic)
    assert any(not p.suffix for p in synthetic) and any(p.suffix == ".dcm" for p in synthetic)
    assert len(list((tmp_path / "tcia-samples").glob("*.dcm"))) == 3
