"""The gate's worker pool: same verdicts as in-process, and a timeout, a memory cap or a dead worker costs one
file, never the job."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pydicom

from harvesters.dicom_folder.gate import ACCEPTED, ERROR, GatePolicy
from harvesters.dicom_folder.pool import GatePool, gate_in_process


def _jobs(root: Path) -> list[tuple[int, str]]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "dataset.json")
    return list(enumerate(str(p) for p in files))


def test_pool_gives_every_file_the_same_verdict_as_the_in_process_gate(demo_template: Path,
                                                                        demo_policy: GatePolicy) -> None:
    jobs = _jobs(demo_template)
    with GatePool(demo_policy, workers=2, batch_size=4) as pool:
        pooled = dict(pool.map(jobs))
    assert pooled == dict(gate_in_process(jobs, demo_policy))
    assert len(pooled) == len(jobs)
    assert {r.status for r in pooled.values()} >= {ACCEPTED, "refused"}


def test_a_file_over_its_time_budget_is_a_timeout_error_and_the_pool_goes_on(demo_template: Path,
                                                                             demo_policy: GatePolicy) -> None:
    jobs = _jobs(demo_template)[:12]
    with GatePool(demo_policy, workers=1, timeout_s=0.00005, batch_size=3) as pool:
        results = dict(pool.map(jobs))
    assert sorted(results) == [k for k, _ in jobs]
    assert any(r.status == ERROR and r.reasons == ("timeout",) for r in results.values())


def test_a_killed_worker_loses_no_verdict(demo_template: Path, demo_policy: GatePolicy) -> None:
    """An OOM-killed worker: its batch is re-run file by file on a fresh worker, every file still gets its verdict."""
    jobs = _jobs(demo_template)[:40]
    with GatePool(demo_policy, workers=1, batch_size=8) as pool:
        stream = pool.map(jobs)
        results = [next(stream)]
        os.kill(pool._workers[0].process.pid, signal.SIGKILL)  # noqa: SLF001 - simulate an OOM kill
        results.extend(stream)
        restarts = pool.restarts
    assert sorted(k for k, _ in results) == [k for k, _ in jobs]
    assert restarts >= 1
    expected = dict(gate_in_process(jobs, demo_policy))
    assert [k for k, r in results if r != expected[k]] == []


def test_a_worker_stuck_past_the_hard_deadline_is_killed_and_its_file_is_a_timeout(
    demo_template: Path, demo_policy: GatePolicy
) -> None:
    """SIGSTOP stands for a worker stuck in C code, where the in-worker alarm cannot run."""
    jobs = _jobs(demo_template)[:12]
    with GatePool(demo_policy, workers=1, batch_size=1, timeout_s=0.2, grace_s=0.3) as pool:
        stream = pool.map(jobs)
        results = [next(stream)]
        os.kill(pool._workers[0].process.pid, signal.SIGSTOP)  # noqa: SLF001
        results.extend(stream)
    assert sorted(k for k, _ in results) == [k for k, _ in jobs]
    timeouts = [k for k, r in results if r.reasons == ("timeout",)]
    assert len(timeouts) == 1
    expected = dict(gate_in_process(jobs, demo_policy))
    assert [k for k, r in results if r != expected[k]] == timeouts


def test_the_address_space_cap_turns_a_big_allocation_into_a_memory_error(tmp_path: Path, demo_template: Path,
                                                                          demo_policy: GatePolicy) -> None:
    """RLIMIT_AS is set in the worker: a value the parser must hold in memory fails there, not in the job."""
    ds = pydicom.dcmread(next((demo_template / "lung-ct-demo").rglob("IM0001.dcm")))
    ds.add_new(0x00204000, "UT", "x" * 200_000)  # under the 256 KB deferral: read into memory
    big = tmp_path / "big.dcm"
    ds.save_as(big, enforce_file_format=True)
    small = next((demo_template / "lung-ct-demo").rglob("IM0002.dcm"))
    with GatePool(demo_policy, workers=1, memory_mb=20) as pool:
        results = dict(pool.map([("big", str(big)), ("small", str(small))]))
    assert results["big"].status == ERROR
    assert results["big"].reasons[0] in {"memory_limit", "worker_crashed"}
    assert set(results) == {"big", "small"}
