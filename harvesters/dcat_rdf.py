"""DCAT-AP / HealthDCAT-AP / EUCAIM feed harvester.

Fetches through the one hardened fetcher (harvesters.fetch: SSRF rules, pinned addresses, size and time caps) or
reads a file inside ATLAS_HARVEST_FILE_ROOTS (at most the byte cap), parses through the one RDF load path
(catalogue.dcat.load via catalogue.dcat.parser.parse_rdf: DOCTYPE/ENTITY, JSON-LD contexts and nesting refused
before the parse, triples and literals bounded during it, nothing fetched) with the DCAT profiles' mapping
tables, and follows Hydra paging in both vocabularies (hydra:nextPage of PagedCollection, hydra:next of
PartialCollectionView) with a loop guard and a page limit. A refused document fails the job with the load path's
own code (`catalogue.dcat.load.ERROR_CODES`) and leaves the published catalogue as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from catalogue.dcat.load import MAX_DOCUMENT_BYTES, read_document
from catalogue.dcat.parser import RdfParseError, format_for_path, parse_rdf
from harvesters.base import Harvester, HarvestError, StagedItem, within_roots
from harvesters.fetch import fetch

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
        "max_bytes": f"largest document accepted, after decompression (default and most: {MAX_DOCUMENT_BYTES} bytes)",
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

    def _max_bytes(self) -> int:
        """The source's byte cap: it may lower the load path's, never raise it (memory is budgeted for that one)."""
        return min(int(self.context.options.get("max_bytes") or MAX_DOCUMENT_BYTES), MAX_DOCUMENT_BYTES)

    def _read(self, location: str) -> tuple[bytes, str, str]:
        """Return (bytes, format, the document's URL or path) through the fetcher or the allowed folders."""
        scheme = urlsplit(location).scheme.lower()
        if scheme in {"http", "https"}:
            accept = FETCH_FORMATS[self._format(location)]
            hosts = self.context.options.get("allowed_hosts") or [urlsplit(self.context.location).hostname or ""]
            result = fetch(location, accept=accept, allowed_hosts=hosts, max_bytes=self._max_bytes())
            return result.body, self._format(result.final_url, result.content_type), result.final_url
        if scheme and scheme != "file" and len(scheme) > 1:
            raise HarvestError(f"scheme {scheme!r} is not allowed for a feed", code="scheme_not_allowed")
        path = within_roots(location[7:] if location.startswith("file://") else location)
        fmt = self._format(str(path))
        try:
            return read_document(path, max_bytes=self._max_bytes()), fmt, path.as_uri()
        except OSError as exc:
            raise HarvestError(f"cannot read the feed: {exc.strerror}", code="unreadable") from exc
        except RdfParseError as exc:
            raise HarvestError(f"the feed file: {exc.message}", code=exc.code) from exc

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
            try:
                result = parse_rdf(data, fmt, base_iri=url)
            except RdfParseError as exc:
                # The load path's code is the job's code: one name per rule from the parser to the job report.
                raise HarvestError(f"page {pages}: {exc.message}", code=exc.code) from exc
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
