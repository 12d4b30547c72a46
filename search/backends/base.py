"""The interface every search backend implements (embedded default, Elasticsearch in production)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from search.query import SearchQuery, SearchResult, Suggestion


class SearchBackendUnavailable(Exception):
    """The backend's service cannot be reached (connection refused, timeout, overloaded): retry later.

    Remote backends raise this instead of their client's own errors, so callers (the index task, the API) can
    tell an outage from a bug without knowing the client library.
    """


class SearchBackend(ABC):
    name = "base"

    @abstractmethod
    def index(self, documents: Iterable[dict[str, Any]]) -> int:
        """Add or replace documents (keyed by identifier); return how many were written."""

    @abstractmethod
    def delete(self, identifiers: Iterable[str]) -> int:
        """Remove documents; return how many were removed."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document (before a rebuild)."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult:
        """Answer a dataset search with the semantics documented in search.query (pinned by the contract suite).

        Filter codes are trusted here: the service validates them against the vocabularies first.
        """

    @abstractmethod
    def autocomplete(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Concepts (cancer type, modality, body part) of indexed datasets, then dataset titles, with a word
        starting with `prefix`; concepts by dataset count, titles alphabetically; at most `limit`."""

    @abstractmethod
    def count(self) -> int:
        """Number of indexed documents."""

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """{"ok": bool, ...details} for /healthz."""

    # -- maintenance: defaults that fit a backend writing in the catalogue's transaction; remote ones override --

    def rebuild(
        self,
        documents: Iterable[dict[str, Any]],
        *,
        total: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        batch_size: int = 500,
    ) -> int:
        """Replace the whole index with `documents`; return how many were indexed.

        `progress(done, total)` is called after every batch and once at the end. The default clears and
        indexes in batches (atomic when the caller's transaction covers it); Elasticsearch builds a new index
        and swaps its alias, so searches never see a half-built index.
        """
        self.clear()
        done = 0
        batch: list[dict[str, Any]] = []
        for document in documents:
            batch.append(document)
            if len(batch) >= batch_size:
                done += self.index(batch)
                batch = []
                if progress:
                    progress(done, total if total is not None else done)
        if batch:
            done += self.index(batch)
        if progress:
            progress(done, total if total is not None else done)
        return done

    def refresh(self) -> None:
        """Make every write so far visible to searches (a no-op where writes are visible at once)."""
        return None

    def stored_documents(self) -> dict[str, dict[str, Any]]:
        """Every indexed document as it was given to `index`, by identifier (for `search_check`)."""
        raise NotImplementedError(f"the {self.name} backend cannot list its documents")
