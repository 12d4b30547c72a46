"""An in-memory stand-in for the few Elasticsearch 8 endpoints the backend's index life cycle uses.

It sits under the real client as its transport node (`Elasticsearch(..., node_class=cluster.node_class())`), so
the client's serialisation, `options()`, and `helpers.streaming_bulk` / `helpers.scan` run for real. It models
indices, aliases (`require_alias` included), bulk index/create/delete with their per-item statuses, and
records every request. It does not search: `_search` answers with whatever `search_handler` returns (the tests
give it recorded-shape responses), and the contract suite covers real search semantics against a real server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders, NodeConfig
from elastic_transport._node._base import NodeApiResponse


@dataclass
class FakeIndex:
    settings: dict[str, Any]
    mappings: dict[str, Any]
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    refreshed: int = 0


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]
    body: Any


class FakeCluster:
    def __init__(self) -> None:
        self.indices: dict[str, FakeIndex] = {}
        self.aliases: dict[str, set[str]] = {}
        self.requests: list[Request] = []
        self.search_handler: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
        self.fail_bulk_after: int | None = None  # raise a 503 on the bulk request after this many succeeded
        self._bulks = 0

    # ------------------------------------------------------------------------------------------- helpers

    def node_class(self) -> type[BaseNode]:
        cluster = self

        class FakeNode(BaseNode):
            def perform_request(self, method: str, target: str, body: bytes | None = None, headers: Any = None,
                                request_timeout: Any = None) -> NodeApiResponse:
                status, payload = cluster.handle(method, target, body)
                meta = ApiResponseMeta(
                    status=status, http_version="1.1", duration=0.0, node=self.config,
                    headers=HttpHeaders({"content-type": "application/json", "x-elastic-product": "Elasticsearch"}),
                )
                return NodeApiResponse(meta, b"" if method == "HEAD" else json.dumps(payload).encode())

        return FakeNode

    def resolve(self, name: str) -> list[str]:
        if name in self.aliases:
            return sorted(self.aliases[name])
        return [name] if name in self.indices else []

    def aliases_of(self, index: str) -> set[str]:
        return {alias for alias, members in self.aliases.items() if index in members}

    def docs(self, name: str) -> dict[str, dict[str, Any]]:
        (index,) = self.resolve(name)
        return self.indices[index].docs

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    # ------------------------------------------------------------------------------------------ dispatch

    def handle(self, method: str, target: str, raw: bytes | None) -> tuple[int, Any]:
        url = urlsplit(target)
        path = unquote(url.path)
        params = parse_qs(url.query)
        text = raw.decode() if raw else ""
        body: Any
        if path.endswith("/_bulk"):
            body = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            body = json.loads(text) if text else None
        self.requests.append(Request(method, path, params, body))
        parts = [p for p in path.split("/") if p]
        if parts == ["_cluster", "health"]:
            return 200, {"status": "green"}
        if parts == ["_bulk"]:
            return self._bulk(body, params)
        if parts == ["_aliases"]:
            return self._update_aliases(body["actions"])
        if len(parts) == 2 and parts[0] == "_alias":
            return self._get_alias(parts[1], method)
        if parts[:2] == ["_search", "scroll"]:
            return 200, {"_scroll_id": "scroll-1", "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []},
                         "_shards": _SHARDS, "succeeded": True, "num_freed": 1}
        if len(parts) == 1:
            return self._index(parts[0], method, body, params)
        if len(parts) == 3 and parts[1] == "_alias":
            self.aliases.setdefault(parts[2], set()).add(parts[0])
            return 200, {"acknowledged": True}
        if len(parts) == 2 and parts[1] == "_settings":
            for name in self.resolve(parts[0]):
                self.indices[name].settings.update(body.get("index", body))
            return 200, {"acknowledged": True}
        if len(parts) == 2 and parts[1] == "_refresh":
            for name in self.resolve(parts[0]):
                self.indices[name].refreshed += 1
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if len(parts) == 2 and parts[1] == "_count":
            names = self.resolve(parts[0])
            if not names:
                return 404, _error("index_not_found_exception", parts[0])
            return 200, {"count": sum(len(self.indices[n].docs) for n in names)}
        if len(parts) == 2 and parts[1] == "_search":
            return self._search(parts[0], body or {}, params)
        raise AssertionError(f"the fake cluster does not serve {method} {target}")

    def _index(self, name: str, method: str, body: Any, params: dict[str, list[str]]) -> tuple[int, Any]:
        if method == "HEAD":
            return (200 if self.resolve(name) else 404), None
        if method == "PUT":
            if name in self.indices or name in self.aliases:
                return 400, _error("resource_already_exists_exception", name)
            body = body or {}
            self.indices[name] = FakeIndex(settings=dict(body.get("settings") or {}), mappings=body.get("mappings") or {})
            for alias in body.get("aliases") or {}:
                self.aliases.setdefault(alias, set()).add(name)
            return 200, {"acknowledged": True, "index": name}
        if method == "DELETE":
            if name not in self.indices:
                return (200, {"acknowledged": True}) if params.get("ignore_unavailable") == ["true"] else (
                    404, _error("index_not_found_exception", name))
            del self.indices[name]
            for members in self.aliases.values():
                members.discard(name)
            self.aliases = {a: m for a, m in self.aliases.items() if m}
            return 200, {"acknowledged": True}
        raise AssertionError(f"the fake cluster does not serve {method} /{name}")

    def _get_alias(self, alias: str, method: str) -> tuple[int, Any]:
        members = self.aliases.get(alias)
        if not members:
            return 404, None if method == "HEAD" else {"error": f"alias [{alias}] missing", "status": 404}
        return 200, {name: {"aliases": {alias: {}}} for name in sorted(members)}

    def _update_aliases(self, actions: list[dict[str, Any]]) -> tuple[int, Any]:
        aliases = {a: set(m) for a, m in self.aliases.items()}
        removed: list[str] = []
        for action in actions:
            ((kind, spec),) = action.items()
            if kind == "add":
                if spec["index"] not in self.indices:
                    return 404, _error("index_not_found_exception", spec["index"])
                if spec["alias"] in self.indices and spec["alias"] not in removed:
                    return 400, _error("invalid_alias_name_exception", spec["alias"])
                aliases.setdefault(spec["alias"], set()).add(spec["index"])
            elif kind == "remove":
                if spec["index"] not in aliases.get(spec["alias"], set()):
                    return 404, _error("aliases_not_found_exception", spec["alias"])
                aliases[spec["alias"]].discard(spec["index"])
            elif kind == "remove_index":
                removed.append(spec["index"])
            else:
                raise AssertionError(kind)
        for name in removed:
            del self.indices[name]
        self.aliases = {a: m for a, m in aliases.items() if m}
        return 200, {"acknowledged": True}

    def _bulk(self, lines: list[dict[str, Any]], params: dict[str, list[str]]) -> tuple[int, Any]:
        if self.fail_bulk_after is not None and self._bulks >= self.fail_bulk_after:
            return 503, _error("unavailable_shards_exception", "bulk")
        self._bulks += 1
        require_alias = params.get("require_alias") == ["true"]
        items: list[dict[str, Any]] = []
        i = 0
        while i < len(lines):
            ((op, meta),) = lines[i].items()
            source = lines[i + 1] if op in {"index", "create"} else None
            i += 2 if source is not None else 1
            target, doc_id = meta["_index"], meta["_id"]
            names = self.resolve(target)
            if require_alias and target not in self.aliases:
                items.append({op: {"_index": target, "_id": doc_id, "status": 404,
                                   "error": {"type": "index_not_found_exception", "reason": f"{target} is not an alias"}}})
                continue
            (name,) = names
            docs = self.indices[name].docs
            if op == "create" and doc_id in docs:
                items.append({op: {"_index": name, "_id": doc_id, "status": 409,
                                   "error": {"type": "version_conflict_engine_exception", "reason": "exists"}}})
            elif op in {"index", "create"}:
                result = "updated" if doc_id in docs else "created"
                docs[doc_id] = source  # type: ignore[assignment]
                items.append({op: {"_index": name, "_id": doc_id, "status": 201 if result == "created" else 200,
                                   "result": result}})
            else:
                found = docs.pop(doc_id, None) is not None
                items.append({op: {"_index": name, "_id": doc_id, "status": 200 if found else 404,
                                   "result": "deleted" if found else "not_found"}})
        errors = any(item[next(iter(item))]["status"] >= 300 for item in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    def _search(self, name: str, body: dict[str, Any], params: dict[str, list[str]]) -> tuple[int, Any]:
        names = self.resolve(name)
        if not names:
            return 404, _error("index_not_found_exception", name)
        if "scroll" in params:  # helpers.scan: every document in one page
            excludes = set(",".join(params.get("_source_excludes", [])).split(",")) - {""}
            hits = [
                {"_index": n, "_id": doc_id, "_source": {k: v for k, v in doc.items() if k not in excludes}}
                for n in names for doc_id, doc in sorted(self.indices[n].docs.items())
            ]
            return 200, {"_scroll_id": "scroll-1", "_shards": _SHARDS,
                         "hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits}}
        if self.search_handler is None:
            raise AssertionError("this test gave the fake cluster no search handler")
        return 200, self.search_handler(name, body)


_SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}


def _error(kind: str, subject: str) -> dict[str, Any]:
    return {"error": {"root_cause": [{"type": kind, "reason": subject}], "type": kind, "reason": subject}, "status": 400}


def fake_client(cluster: FakeCluster) -> Any:
    from elasticsearch import Elasticsearch

    return Elasticsearch("http://fake-es:9200", node_class=cluster.node_class(), max_retries=0)


__all__ = ["FakeCluster", "NodeConfig", "fake_client"]
