"""DCAT-AP / HealthDCAT-AP / EUCAIM feed harvester.

Fetches through the one hardened fetcher (harvesters.fetch: SSRF rules, pinned addresses, size and time caps),
refuses unsafe documents before parsing (harvesters.safe_rdf: DOCTYPE/ENTITY, JSON-LD contexts and nesting),
parses with the DCAT profiles' mapping tables (catalogue.dcat.parser, which never fetches), and follows Hydra
paging in both vocabularies (hydra:nextPage of PagedCollection, hydra:next of PartialCollectionView) with a
loop guard and a page limit. A local file location must lie inside ATLAS_HARVEST_FILE_ROOTS.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from catalogue.dcat.parser import RdfParseError, format_for_path, parse_rdf
from harvesters.base import Harvester, HarvestError, StagedItem, within_roots
from harvesters.fetch import fetch
from harvesters.safe_rdf import check_rdf_bytes

# Our format names -> the fetcher's accepted-format names (each with its Content-Type allow-list).
FETCH_FORMATS = {"turtle": "turtle", "nt": "n-triples", "xml": "rdf+xml", "json-ld": "json-ld"}
CONTENT_TYPE_FORMATS = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "nt",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml", "application/ld+json": "json-ld",
    "application/json": "json-ld",
}
MAX_PAGES_DEFAULT = 100


class DcatRdfHarvester(Harvester):
    kind = "dcat_rdf"
    OPTIONS = {
        "format": "turtle, nt, xml or json-ld (default: from the file name or the response Content-Type)",
        "max_pages": f"most Hydra pages followed (default {MAX_PAGES_DEFAULT})",
        "allowed_hosts": "hosts this source may be fetched from, redirects included (default: the location's)",
        "max_bytes": "largest document accepted, after decompression (default 50 MiB)",
    }

    def _format(self, name: str, content_type: str = "") -> str:
        fmt = self.context.options.get("format")
        if fmt:
            if fmt not in FETCH_FORMATS:
                raise HarvestError(f"unknown format {fmt!r}; use one of {sorted(FETCH_FORMATS)}", code="unknown_format")
            return str(fmt)
        if content_type and content_type in CONTENT_TYPE_FORMATS:
            return CONTENT_TYPE_FORMATS[content_type]
        try:
            return format_for_path(urlsplit(name).path or name)
        except ValueError as exc:
            raise HarvestError(str(exc), code="unknown_format") from exc

    def _read(self, location: str) -> tuple[bytes, str, str]:
        """Return (bytes, format, the document's URL or path) through the fetcher or the allowed folders."""
        scheme = urlsplit(location).scheme.lower()
        if scheme in {"http", "https"}:
            accept = FETCH_FORMATS[self._format(location)]
            hosts = self.context.options.get("allowed_hosts") or [urlsplit(self.context.location).hostname or ""]
            result = fetch(
                location, accept=accept, allowed_hosts=hosts,
                max_bytes=int(self.context.options.get("max_bytes") or 50 * 1024 * 1024),
            )
            return result.body, self._format(result.final_url, result.content_type), result.final_url
        if scheme and scheme != "file" and len(scheme) > 1:
            raise HarvestError(f"scheme {scheme!r} is not allowed for a feed", code="scheme_not_allowed")
        path = within_roots(location[7:] if location.startswith("file://") else location)
        try:
            return path.read_bytes(), self._format(str(path)), path.as_uri()
        except OSError as exc:
            raise HarvestError(f"cannot read the feed: {exc.strerror}", code="unreadable") from exc

    def gather(self) -> Iterator[StagedItem]:
        counters = self.context.counters
        counters.unit = "datasets"
        max_pages = int(self.context.options.get("max_pages") or MAX_PAGES_DEFAULT)
        seen_pages: set[str] = set()
        location: str | None = self.context.location
        pages = 0
        while location:
            if location in seen_pages:
                raise HarvestError(f"the feed's paging loops back to {location}", code="paging_loop")
            if pages >= max_pages:
                raise HarvestError(f"the feed has more than {max_pages} pages (max_pages)", code="too_many_pages")
            seen_pages.add(location)
            pages += 1
            data, fmt, url = self._read(location)
            check_rdf_bytes(data, FETCH_FORMATS[fmt])
            try:
                result = parse_rdf(data, fmt, base_iri=url)
            except RdfParseError as exc:
                raise HarvestError(f"page {pages}: {exc.message}", code="rdf_parse_error") from exc
            for descriptor in result.descriptors:
                counters.identified += 1
                counters.entered += 1
                counters.integrated += 1
                yield StagedItem(guid=descriptor.guid, descriptor=descriptor)
            if self.context.progress:
                self.context.progress(counters.identified, None)
            location = urljoin(url, result.next_page) if result.next_page else None
            if location and not url.startswith(("http://", "https://")):
                # A file is one document: its next-page link points at the server it was saved from.
                self.context.state["paging_not_followed"] = location
                location = None
        self.context.state["pages"] = pages
