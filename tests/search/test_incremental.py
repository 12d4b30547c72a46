"""The embedded backend brings its snapshot forward from the change log instead of rebuilding after every write.

Runs on SQLite and, in CI's second leg (DATABASE_URL), on PostgreSQL; the tests of concurrent writers on two
real connections need PostgreSQL (SQLite serialises writers on the database file) and are skipped elsewhere.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from django.db import connection, transaction

from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.engine import Snapshot
from search.models import SearchChange, SearchDocument, SearchIndexState
from search.query import SearchQuery
from tests.search.test_engine import answers, make_doc

ALL = SearchQuery(page_size=1000)


class Rollback(Exception):
    """Raised inside a transaction to roll it back."""


@pytest.fixture
def backend() -> EmbeddedBackend:
    EmbeddedBackend._snapshot = None  # no snapshot left over from another test's database state
    return EmbeddedBackend()


def docs(*identifiers: str, seed: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [make_doc(identifier, rng, **kwargs) for identifier in identifiers]


def found(backend: EmbeddedBackend, query: SearchQuery = ALL) -> list[str]:
    return sorted(backend.search(query).identifiers)


def counters() -> tuple[int, int]:
    return EmbeddedBackend.builds, EmbeddedBackend.applies


@pytest.mark.django_db
class TestApply:
    def test_one_write_is_served_by_the_next_search_without_a_rebuild(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b", "c"))
        assert found(backend) == ["a", "b", "c"]
        builds, applies = counters()
        backend.index(docs("d", title="Okapi imaging archive"))
        assert found(backend, SearchQuery(text="okapi")) == ["d"]
        assert counters() == (builds, applies + 1)
        assert found(backend) == ["a", "b", "c", "d"]
        assert counters() == (builds, applies + 1)  # nothing written since: the same snapshot

    def test_a_delete_is_applied(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b", "c", "d", "e", "f"))
        found(backend)
        builds, applies = counters()
        assert backend.delete(["b", "not-indexed"]) == 1
        result = backend.search(ALL)
        assert sorted(result.identifiers) == ["a", "c", "d", "e", "f"] and result.total == 5
        assert sum(v.count for v in result.facets["country"]) == 5
        assert counters() == (builds, applies + 1)

    def test_a_replaced_document_answers_with_its_new_content_only(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b", "c", "d", "e", "f"))
        backend.index(docs("c", title="Wombat study"))
        assert found(backend, SearchQuery(text="wombat")) == ["c"]
        builds, applies = counters()
        backend.index(docs("c", title="Quokka study"))
        assert found(backend, SearchQuery(text="quokka")) == ["c"]
        assert found(backend, SearchQuery(text="wombat")) == []
        assert backend.search(ALL).total == 6
        assert counters() == (builds, applies + 1)

    def test_many_writes_between_two_searches_are_applied_at_once(self, backend: EmbeddedBackend) -> None:
        backend.index(docs(*[f"d{i:02d}" for i in range(40)]))
        found(backend)
        builds, applies = counters()
        backend.index(docs("n1", seed=2))
        backend.delete(["d01"])
        backend.index(docs("d02", title="Narwhal cohort", seed=3))
        backend.index(docs("n2", seed=4))
        assert "d01" not in found(backend) and {"n1", "n2"} <= set(found(backend))
        assert found(backend, SearchQuery(text="narwhal")) == ["d02"]
        assert counters() == (builds, applies + 1)

    def test_the_applied_snapshot_answers_as_a_full_build_of_the_table(self, backend: EmbeddedBackend) -> None:
        rng = random.Random(11)
        backend.index(docs(*[f"d{i:02d}" for i in range(50)]))
        found(backend)
        builds, _ = counters()
        for step in range(12):
            action = rng.random()
            if action < 0.4:
                backend.index(docs(f"n{step}", seed=step))
            elif action < 0.7:
                backend.index(docs(rng.choice(found(backend)), seed=100 + step))
            else:
                backend.delete([rng.choice(found(backend))])
            applied = backend.snapshot()
            assert answers(applied) == answers(Snapshot(backend._all_documents())), f"step {step}"
        assert EmbeddedBackend.builds == builds

    def test_a_write_logs_its_identifiers_at_the_position_and_token_it_took(self, backend: EmbeddedBackend) -> None:
        before = SearchIndexState.objects.get(pk=1).position
        backend.index(docs("a", "b"))
        backend.delete(["a"])
        state = SearchIndexState.objects.get(pk=1)
        assert state.position == before + 2
        rows = list(SearchChange.objects.filter(position__gt=before).order_by("position", "identifier")
                    .values_list("position", "identifier"))
        assert rows == [(before + 1, "a"), (before + 1, "b"), (before + 2, "a")]
        assert set(SearchChange.objects.filter(position=state.position).values_list("token", flat=True)) == {state.token}
        assert backend.index([]) == 0 and backend.delete([]) == 0
        assert SearchIndexState.objects.get(pk=1).position == before + 2  # nothing written, no position taken


@pytest.mark.django_db
class TestRebuild:
    def test_a_rolled_back_write_is_never_served(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b"))
        assert found(backend) == ["a", "b"]
        with pytest.raises(Rollback), transaction.atomic():
            backend.index(docs("ghost", title="Ghost dataset"))
            assert found(backend, SearchQuery(text="ghost")) == ["ghost"]  # its own transaction sees it
            raise Rollback
        assert found(backend, SearchQuery(text="ghost")) == []
        assert "back" in EmbeddedBackend.last_build_reason

    def test_a_rolled_back_write_is_not_mistaken_for_the_next_one_at_its_position(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b", "c", "d", "e", "f"))
        found(backend)
        with pytest.raises(Rollback), transaction.atomic():
            backend.index(docs("ghost", title="Ghost dataset"))
            found(backend)  # the snapshot now stands at the ghost's position and token
            raise Rollback
        backend.index(docs("real", seed=5))  # takes the same position again, with another token
        backend.index(docs("later", seed=6))
        builds, _ = counters()
        assert found(backend) == ["a", "b", "c", "d", "e", "f", "later", "real"]
        assert EmbeddedBackend.builds == builds + 1
        assert EmbeddedBackend.last_build_reason == "the write the snapshot last applied was rolled back"

    def test_the_same_position_with_another_token_is_rebuilt(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b"))
        found(backend)
        with pytest.raises(Rollback), transaction.atomic():
            backend.index(docs("ghost"))
            found(backend)
            raise Rollback
        backend.index(docs("real", seed=7))
        assert found(backend) == ["a", "b", "real"]

    def test_too_many_dead_slots_compact_the_snapshot(self, backend: EmbeddedBackend) -> None:
        backend.index(docs(*[f"d{i}" for i in range(10)]))
        found(backend)
        builds, applies = counters()
        compactions = EmbeddedBackend.compactions
        backend.index(docs("d1", "d2", "d3", seed=9, title="Replaced title"))  # 3 dead of 13 slots: above 20 %
        assert found(backend, SearchQuery(text="replaced")) == ["d1", "d2", "d3"]
        assert EmbeddedBackend.compactions == compactions + 1
        assert counters() == (builds + 1, applies)
        assert backend.snapshot().dead_share == 0 and backend.snapshot().n == 10

    def test_a_pruned_log_rebuilds_and_the_log_stays_short(self, backend: EmbeddedBackend,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(embedded, "LOG_KEEP", 2)
        monkeypatch.setattr(embedded, "PRUNE_EVERY", 1)
        backend.index(docs("a", "b", "c", "d", "e", "f"))
        found(backend)
        for identifier in ("g", "h", "i", "j"):
            backend.index(docs(identifier))
        assert SearchChange.objects.values("position").distinct().count() <= 2
        builds, _ = counters()
        assert found(backend) == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        assert EmbeddedBackend.builds == builds + 1
        assert EmbeddedBackend.last_build_reason == "the change log was pruned past the snapshot"

    def test_a_clear_rebuilds_and_empties_the_log_before_it(self, backend: EmbeddedBackend) -> None:
        backend.index(docs("a", "b"))
        found(backend)
        backend.clear()
        backend.index(docs("c"))
        assert found(backend) == ["c"]
        assert EmbeddedBackend.last_build_reason == "the index was cleared"
        assert set(SearchChange.objects.values_list("identifier", flat=True)) == {SearchChange.RESET, "c"}

    def test_incremental_apply_can_be_turned_off(self, backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(EmbeddedBackend, "incremental", False)
        backend.index(docs("a"))
        found(backend)
        builds, applies = counters()
        backend.index(docs("b"))
        assert found(backend) == ["a", "b"] and counters() == (builds + 1, applies)


# ------------------------------------------------------------------------------------ PostgreSQL, two writers

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two concurrent writers need PostgreSQL (SQLite serialises writers)")


def _in_thread(target: Any) -> tuple[threading.Thread, list[BaseException]]:
    """Run `target` on its own thread (so on its own database connection); errors are collected."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 (re-raised by the test through `errors`)
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.fixture
def committed_backend(transactional_db: Any) -> EmbeddedBackend:
    SearchIndexState.objects.get_or_create(pk=1, defaults={"token": "initial"})  # a flush removed the migration's row
    EmbeddedBackend._snapshot = None
    return EmbeddedBackend()


@postgresql_only
def test_a_write_that_commits_later_is_never_skipped(committed_backend: EmbeddedBackend) -> None:
    """The out-of-order case of a sequence: the first writer takes its position and holds its transaction open,
    the second opens its transaction and writes; with positions drawn from a sequence the second would commit
    first with the higher number, and a reader moving its position there would never read the first. Here
    the second writer waits for the first (positions come from the locked state row), and the reader, on a
    third connection, sees neither, then both, in commit order: applied, never skipped, never rebuilt."""
    backend = committed_backend
    backend.index(docs("base"))
    assert found(backend) == ["base"]
    first_written, release_first, second_started = threading.Event(), threading.Event(), threading.Event()
    second_done = threading.Event()

    def first() -> None:
        with transaction.atomic():
            backend.index(docs("first", seed=2))
            first_written.set()
            assert release_first.wait(30)

    def second() -> None:
        assert first_written.wait(30)
        with transaction.atomic():
            assert SearchDocument.objects.filter(identifier="base").exists()  # its transaction is open
            second_started.set()
            backend.index(docs("second", seed=3))  # waits here for the first writer's commit
        second_done.set()

    t1, errors1 = _in_thread(first)
    t2, errors2 = _in_thread(second)
    assert second_started.wait(30)
    assert not second_done.wait(0.5)  # the second writer waits for the first writer's position
    builds, applies = counters()
    assert found(backend) == ["base"]  # nothing committed yet
    release_first.set()
    t1.join(30)
    t2.join(30)
    assert not errors1 and not errors2, errors1 + errors2
    assert found(backend) == ["base", "first", "second"]
    assert EmbeddedBackend.builds == builds and EmbeddedBackend.applies > applies
    positions = dict(SearchChange.objects.filter(identifier__in=["first", "second"]).values_list("identifier", "position"))
    assert positions["second"] == positions["first"] + 1  # handed out in commit order


@postgresql_only
def test_concurrent_writers_and_a_reader_lose_no_change(committed_backend: EmbeddedBackend) -> None:
    backend = committed_backend
    backend.index(docs(*[f"base{i}" for i in range(20)]))
    found(backend)
    builds = EmbeddedBackend.builds

    def writer(prefix: str) -> None:
        for i in range(15):
            with transaction.atomic():
                backend.index(docs(f"{prefix}{i:02d}", seed=i))
                if i % 3 == 0:
                    backend.index(docs(f"{prefix}x{i:02d}", seed=i + 50))  # two positions in one transaction

    threads = [_in_thread(lambda p=p: writer(p)) for p in ("w1-", "w2-")]
    reads = 0
    while any(t.is_alive() for t, _ in threads) and reads < 10_000:
        found(backend)  # the reader applies whatever has committed, between and during the writes
        reads += 1
    for thread, errors in threads:
        thread.join(60)
        assert not errors, errors
    written = {d for d in SearchDocument.objects.values_list("identifier", flat=True)}
    assert len(written) == 20 + 2 * (15 + 5)
    assert set(found(backend)) == written
    assert EmbeddedBackend.builds == builds, EmbeddedBackend.last_build_reason  # every change applied, none lost
    assert answers(backend.snapshot()) == answers(Snapshot(backend._all_documents()))
