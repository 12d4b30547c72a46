"""Embedded search backend: documents live in the catalogue's own database, so they cannot drift from it.

Writes go to `SearchDocument` inside the catalogue's transaction; in the same transaction each write moves
the index's position on (`SearchIndexState`: position + 1 and a new random token) and logs the identifiers it
touched at that position (`SearchChange`). Reads answer from an in-process `search.engine.Snapshot` filed
under the (position, token) it was brought up to. A search reads the state (one primary-key read); when it
differs from the snapshot's, the snapshot is brought forward by applying the log since its position (only the
changed documents are read again), or rebuilt in full when it cannot be (see `EmbeddedBackend.snapshot`).

Why positions handed out under the state row's lock, and not a sequence: ids drawn from a sequence are
allocated when a row is inserted and become visible when its transaction commits, and on PostgreSQL the two
orders differ: a writer can take id 100, a second writer id 101 and commit first, and a reader that saw 101
and moved its position there would never read 100, committed a moment later. Here a writer takes its position
by updating the one state row (`position = position + 1`), and that row stays locked until it commits or rolls
back: the next writer waits for the lock and then reads the committed value, so positions are handed out in
commit order, without gaps (SQLite serialises writers anyway). Every write, from its first index or delete on,
queues on that row: writers of the search index were already serialised by the token this row held before.
A rolled-back write hands its position back; its random token is never drawn again, so a snapshot that saw it
from inside its own transaction no longer matches the committed row at that position, and the reader checks
the token logged at its position before applying anything after it (a mismatch rebuilds).

Works the same on SQLite and PostgreSQL (plain tables, no vendor full-text features).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from search.backends.base import SearchBackend
from search.engine import COMPACT_DEAD_SHARE, Snapshot
from search.models import SearchChange, SearchDocument, SearchIndexState
from search.query import SearchQuery, SearchResult, Suggestion

_STATE_PK = 1
LOG_KEEP = 10_000
"""Positions of change log kept; a process whose snapshot is older than that rebuilds in full."""
PRUNE_EVERY = 1_000
"""Every this many positions, a write removes the rows older than LOG_KEEP."""
APPLY_MAX_SHARE = 0.2
"""A change touching more than this share of the documents is rebuilt in full (cheaper than applying it)."""
_CHUNK = 500  # identifiers per IN (...) query: under SQLite's variable limit


def _advance(identifiers: Sequence[str]) -> None:
    """Take the next position under the state row's lock and log `identifiers` at it (the caller's transaction)."""
    token = uuid.uuid4().hex
    if not SearchIndexState.objects.filter(pk=_STATE_PK).update(position=F("position") + 1, token=token,
                                                                 changed_at=timezone.now()):
        SearchIndexState.objects.create(pk=_STATE_PK, token=token, position=1)  # the row is made by migration 0002
    position = SearchIndexState.objects.filter(pk=_STATE_PK).values_list("position", flat=True).get()
    SearchChange.objects.bulk_create(
        [SearchChange(position=position, identifier=identifier, token=token) for identifier in identifiers],
        batch_size=_CHUNK,
    )
    if list(identifiers) == [SearchChange.RESET]:
        SearchChange.objects.filter(position__lt=position).delete()  # a reset supersedes everything before it
    elif position % PRUNE_EVERY == 0:
        SearchChange.objects.filter(position__lte=position - LOG_KEEP).delete()


def _read_state() -> tuple[int, str]:
    row = SearchIndexState.objects.filter(pk=_STATE_PK).values_list("position", "token").first()
    return (int(row[0]), str(row[1])) if row else (0, "")


class EmbeddedBackend(SearchBackend):
    name = "embedded"
    writes_in_transaction = True
    incremental = True
    """Apply the change log to the snapshot; False rebuilds after every write (the benchmark's baseline)."""

    _lock = threading.Lock()
    _snapshot: Snapshot | None = None
    builds = 0  # full builds in this process (tests and the benchmark read these counters)
    applies = 0  # snapshots brought forward by applying the change log
    compactions = 0  # full builds because too many slots were dead after an apply
    last_build_reason = ""  # why the last full build was needed

    # ------------------------------------------------------------------------------------------- writes

    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        docs = {doc["identifier"]: doc for doc in documents}
        if not docs:
            return 0
        now = timezone.now()
        with transaction.atomic():
            _advance(list(docs))  # first: every writer queues on the state row before it locks a document
            existing = {
                row.identifier: row for row in SearchDocument.objects.filter(identifier__in=list(docs))
            }
            new, changed = [], []
            for identifier, doc in docs.items():
                values = {"title": str(doc.get("title", ""))[:500], "text": doc.get("text", ""), "body": doc}
                row = existing.get(identifier)
                if row is None:
                    new.append(SearchDocument(identifier=identifier, indexed_at=now, **values))
                else:
                    for attr, value in values.items():
                        setattr(row, attr, value)
                    row.indexed_at = now
                    changed.append(row)
            SearchDocument.objects.bulk_create(new, batch_size=500)
            SearchDocument.objects.bulk_update(changed, ["title", "text", "body", "indexed_at"], batch_size=500)
        return len(docs)

    def delete(self, identifiers: Iterable[str]) -> int:
        identifiers = sorted(set(identifiers))
        if not identifiers:
            return 0
        with transaction.atomic():
            _advance(identifiers)
            deleted, _ = SearchDocument.objects.filter(identifier__in=identifiers).delete()
        return deleted

    def clear(self) -> None:
        with transaction.atomic():
            _advance([SearchChange.RESET])
            SearchDocument.objects.all().delete()

    def count(self) -> int:
        return SearchDocument.objects.count()

    def stored_documents(self) -> dict[str, dict[str, Any]]:
        return dict(SearchDocument.objects.order_by().values_list("identifier", "body"))

    # -------------------------------------------------------------------------------------------- reads

    def snapshot(self) -> Snapshot:
        """The snapshot of the current committed (or own-transaction) document state.

        Reads the state row; if the snapshot in memory is filed under another (position, token), it is
        brought forward from the change log (`_changes`) or, when the log cannot tell what changed (first
        use, reset, pruned past the snapshot, a rolled-back write seen, too many changes), rebuilt in full;
        after an apply that leaves more than COMPACT_DEAD_SHARE of the slots dead, rebuilt in full too.
        The state is read before the log and the documents, so a snapshot is never older than the state it
        is filed under: at worst a document newer than that is read, and read again by the next apply.
        """
        db = (connection.alias, connection.settings_dict.get("NAME"))
        position, token = _read_state()
        key = (db, position, token)
        current = EmbeddedBackend._snapshot
        if current is not None and current.key == key:
            return current
        with EmbeddedBackend._lock:
            current = EmbeddedBackend._snapshot
            if current is not None and current.key == key:
                return current
            reason = "first build"
            if current is not None and current.key[0] == db and self.incremental:
                changes, reason = self._changes(current, position)
                if changes is not None:
                    snapshot = current.applied(changes, key=key)
                    if snapshot.dead_share <= COMPACT_DEAD_SHARE:
                        EmbeddedBackend._snapshot = snapshot
                        EmbeddedBackend.applies += 1
                        return snapshot
                    EmbeddedBackend.compactions += 1
                    reason = f"compaction ({snapshot.dead_share:.0%} of the slots dead)"
            elif current is not None:
                reason = "another database" if current.key[0] != db else "incremental apply off"
            snapshot = Snapshot(self._all_documents(), key=key)
            EmbeddedBackend._snapshot = snapshot
            EmbeddedBackend.builds += 1
            EmbeddedBackend.last_build_reason = reason
            return snapshot

    def _changes(self, current: Snapshot, position: int) -> tuple[dict[str, dict[str, Any] | None] | None, str]:
        """The documents that changed since `current` (identifier -> document, None when gone), or None and why.

        The log must hold every position after the snapshot's, and the row at the snapshot's own position must
        carry the snapshot's token (else the snapshot saw a write that was rolled back, or the log was pruned).
        """
        _, since, since_token = current.key
        if position <= since:
            return None, "the state went back (a write the snapshot saw was rolled back, or the database changed)"
        rows = SearchChange.objects.filter(position__gte=since, position__lte=position).values_list(
            "position", "identifier", "token")
        anchored = since == 0  # nothing is logged at position 0: the state before any write
        positions: set[int] = set()
        identifiers: set[str] = set()
        for at, identifier, row_token in rows.iterator(chunk_size=2000):
            if at == since:
                if row_token != since_token:
                    return None, "the write the snapshot last applied was rolled back"
                anchored = True
            elif identifier == SearchChange.RESET:
                return None, "the index was cleared"
            else:
                positions.add(at)
                identifiers.add(identifier)
            if len(identifiers) > APPLY_MAX_SHARE * max(current.n_live, 1) and len(identifiers) > 1000:
                return None, "too many changes to apply"
        if not anchored or len(positions) != position - since:
            return None, "the change log was pruned past the snapshot"
        changes: dict[str, dict[str, Any] | None] = dict.fromkeys(sorted(identifiers))
        wanted = sorted(identifiers)
        for start in range(0, len(wanted), _CHUNK):
            found = SearchDocument.objects.filter(identifier__in=wanted[start:start + _CHUNK])
            changes.update(found.values_list("identifier", "body"))
        return changes, ""

    def _all_documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every document, decoded here from the raw JSON text (one C call a row, no per-field converters).

        A server-side cursor on PostgreSQL (Django's chunked cursor) streams the rows instead of holding all
        of their text; the engine's build pauses the garbage collector while it consumes them. The catch-all
        `text` and the `display` block are dropped at once: the engine needs neither.
        """
        table = connection.ops.quote_name(SearchDocument._meta.db_table)
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT identifier, body FROM {table}")  # noqa: S608 (a quoted model table name)
            while rows := cursor.fetchmany(2000):
                for identifier, body in rows:
                    doc = json.loads(body) if isinstance(body, str | bytes) else body
                    doc.pop("text", None)
                    doc.pop("display", None)
                    yield identifier, doc

    def search(self, query: SearchQuery) -> SearchResult:
        return self.snapshot().search(query)

    def autocomplete(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        return self.snapshot().autocomplete(prefix, limit)

    def health(self) -> dict[str, Any]:
        try:
            return {"ok": True, "backend": self.name, "documents": self.count()}
        except DatabaseError as exc:
            return {"ok": False, "backend": self.name, "error": exc.__class__.__name__}
