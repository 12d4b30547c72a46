"""Run the de-identification gate in worker processes with per-file limits (docs/privacy.md P1).

Why not `concurrent.futures.ProcessPoolExecutor`: it cannot kill one hung worker, and a dead worker breaks the
whole executor without saying which file killed it. This small pool gives each worker its own pipe and knows
which batch every worker holds, so it can:

* bound each file's wall time twice: a SIGALRM timer inside the worker (the file becomes a "timeout" error and
  the worker lives on), and a hard deadline in the parent that kills a worker stuck in C code;
* turn a crashed worker (segfault, OOM kill) into a "worker_crashed" error for the one file that killed it:
  the batch it held is re-run one file per batch with a fresh worker, so the culprit is isolated and the
  other files of the batch still get their own verdicts;
* cap each worker's address space (RLIMIT_AS, set in the worker before any file is read) so a malformed length
  field cannot make pydicom allocate gigabytes: the file becomes a "memory_limit" error;
* recycle workers after `max_tasks_per_worker` files (like `maxtasksperchild`).

Workers answer once per batch (in the compact JSON form of the result), and each holds up to two batches, so
neither side waits on the other between files. Workers start from a "forkserver" that has imported only the
gate (no Django, no threads inherited from a Celery worker), so starting or replacing one costs milliseconds.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from harvesters.dicom_folder.gate import GatePolicy, GateResult, GateTimeout, check_file, error_result

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
Job = tuple[Any, str]

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_MB = 512
HARD_DEADLINE_GRACE_S = 5.0


def _on_alarm(signum: int, frame: Any) -> None:
    raise GateTimeout()


def _limit_memory(memory_mb: int) -> None:
    """Cap the worker's address space; keep the hard limit so the cap cannot be raised again."""
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _gate_one(path: str, policy: GatePolicy, timeout_s: float) -> GateResult:
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return check_file(path, policy)
    except GateTimeout:
        return error_result("timeout")
    except MemoryError:
        return error_result("memory_limit")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _worker_main(conn: Connection, policy: GatePolicy, timeout_s: float, memory_mb: int) -> None:
    """Gate the files of each batch received and answer with the batch's results, in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    signal.signal(signal.SIGALRM, _on_alarm)
    _limit_memory(memory_mb)
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)  # pydicom messages quote values and file names
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        if batch is None:
            return
        conn.send([_gate_one(path, policy, timeout_s).to_json() for _key, path in batch])


@dataclass
class _Worker:
    process: Any
    conn: Connection
    batches: deque[list[Job]] = field(default_factory=deque)  # sent, not yet answered; the first is running
    deadline: float = 0.0
    done: int = 0


class GatePool:
    """A pool of gate workers. Use as a context manager; `map()` yields (key, GateResult) in completion order."""

    def __init__(
        self,
        policy: GatePolicy,
        *,
        workers: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_mb: int = DEFAULT_MEMORY_MB,
        batch_size: int = 16,
        max_tasks_per_worker: int = 5000,
        grace_s: float = HARD_DEADLINE_GRACE_S,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("a pool needs at least one worker (use the in-process gate for workers=0)")
        self.policy = policy
        self.n_workers = workers or os.cpu_count() or 1
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.batch_size = batch_size
        self.max_tasks_per_worker = max_tasks_per_worker
        self.grace_s = grace_s
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["harvesters.dicom_folder.pool"])
        self._workers: list[_Worker] = []
        self.restarts = 0

    def __enter__(self) -> GatePool:
        self._workers = [self._start() for _ in range(self.n_workers)]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self.policy, self.timeout_s, self.memory_mb),
            name="dicom-gate",
            daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            try:
                worker.conn.send(None)
            except OSError:
                worker.process.kill()
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def close(self) -> None:
        for worker in self._workers:
            self._stop(worker, kill=bool(worker.batches))
        self._workers = []

    def _replace(self, worker: _Worker, *, kill: bool) -> _Worker:
        self._stop(worker, kill=kill)
        fresh = self._start()
        self._workers[self._workers.index(worker)] = fresh
        self.restarts += 1
        return fresh

    def _deadline(self, batch: list[Job]) -> float:
        return time.monotonic() + len(batch) * self.timeout_s + self.grace_s

    def map(self, jobs: Iterable[tuple[K, str]]) -> Iterator[tuple[K, GateResult]]:
        """Gate every (key, path) job; each job yields exactly one result, whatever happens to its worker."""
        if not self._workers:
            raise RuntimeError("GatePool.map() outside its context manager")
        source = iter(jobs)
        queue: deque[list[Job]] = deque()  # batches waiting for a worker
        exhausted = False

        def refill() -> None:
            nonlocal exhausted
            while not exhausted and len(queue) < self.n_workers * 2:
                batch: list[Job] = []
                for job in source:
                    batch.append(job)
                    if len(batch) == self.batch_size:
                        break
                else:
                    exhausted = True
                if batch:
                    queue.append(batch)

        def assign(worker: _Worker) -> None:
            """Keep two batches in flight per worker, so it never waits for the parent between batches."""
            failures = 0
            while len(worker.batches) < 2:
                refill()
                if not queue:
                    return
                batch = queue.popleft()
                try:
                    worker.conn.send(batch)
                except OSError:
                    # The worker died while idle: give the batch back and use a fresh worker.
                    queue.appendleft(batch)
                    if worker.batches:
                        return  # the main loop finds the dead worker and deals with what it held
                    if failures >= 3:
                        raise RuntimeError("gate workers die as soon as they start") from None
                    failures += 1
                    worker = self._replace(worker, kill=True)
                    continue
                if not worker.batches:
                    worker.deadline = self._deadline(batch)
                worker.batches.append(batch)

        for worker in list(self._workers):
            assign(worker)
        while True:
            busy = [w for w in self._workers if w.batches]
            if not busy:
                refill()
                if not queue:
                    return
                for worker in list(self._workers):
                    assign(worker)
                continue
            wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            multiprocessing.connection.wait(handles, timeout=wait_for)
            for worker in busy:
                failed: str | None = None
                try:
                    while worker.batches and worker.conn.poll():
                        answers = worker.conn.recv()
                        batch = worker.batches.popleft()
                        worker.done += len(batch)
                        if worker.batches:
                            worker.deadline = self._deadline(worker.batches[0])
                        for (key, _path), answer in zip(batch, answers, strict=True):
                            yield key, GateResult.from_json(answer)
                except (EOFError, OSError):
                    failed = "worker_crashed"
                if failed is None and worker.batches and not worker.process.is_alive():
                    failed = "worker_crashed"
                if failed is None and worker.batches and time.monotonic() > worker.deadline:
                    failed = "timeout"
                if failed is not None:
                    running = worker.batches.popleft()
                    for waiting in reversed(worker.batches):
                        queue.appendleft(waiting)
                    worker.batches.clear()
                    replacement = self._replace(worker, kill=True)
                    if len(running) == 1:
                        logger.warning("gate worker %s on one file; the file is an error", failed)
                        yield running[0][0], error_result(failed)
                    else:
                        # Isolate the culprit: re-run the batch one file at a time.
                        logger.warning("gate worker %s; re-running its batch file by file", failed)
                        for job in reversed(running):
                            queue.appendleft([job])
                    assign(replacement)
                    continue
                if not worker.batches and worker.done >= self.max_tasks_per_worker:
                    worker = self._replace(worker, kill=False)
                assign(worker)


def gate_in_process(jobs: Iterable[tuple[K, str]], policy: GatePolicy) -> Iterator[tuple[K, GateResult]]:
    """The worker-free path (`workers=0`): same results, no process limits. For tests and debugging only.

    pydicom's own log messages can quote a file name or a value, so they are silenced while it runs here, as
    they are in every worker.
    """
    pydicom_logger = logging.getLogger("pydicom")
    level = pydicom_logger.level
    pydicom_logger.setLevel(logging.CRITICAL)
    try:
        for key, path in jobs:
            try:
                result = check_file(path, policy)
            except MemoryError:
                result = error_result("memory_limit")
            yield key, result
    finally:
        pydicom_logger.setLevel(level)
