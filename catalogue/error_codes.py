"""Every error code of the atlas, listed once: code -> what it means, in one line.

The API's error body (`{"error": {"code", ...}}`, catalogue/api/errors.py), a harvest job's `error_code` and its
stage errors, and the messages of the management commands (`... [code]`) all use these codes, so a client, a
curator reading a job report and an operator reading a terminal see the same word for the same problem.
Codes are stable: renaming one breaks clients; add a new one instead.

`tests/test_error_codes.py` scans the code for every code raised (domain errors, harvest errors, stage errors,
the API handler) and fails when one is missing here or when a code listed here is used nowhere.
docs/errors.md is generated from this table (`python -m catalogue.error_codes > docs/errors.md`) and checked
against it by the same test.

Not listed here, because they are refusal reasons and not errors: the de-identification gate's reason codes
(`r1_not_deidentified`, `r8_attribute:<keyword>`, ...; docs/deid-gate.md) and the descriptor warnings of a
dataset's metadata (`DescriptorWarning.code`).
"""

from __future__ import annotations

# Grouped by where they arise; the groups are for the reader, the codes are one flat namespace.
ERROR_GROUPS: dict[str, dict[str, str]] = {
    "Domain errors (services and selectors; the API answers them with their HTTP status)": {
        "atlas_error": "an error of the atlas with no more precise code",
        "invalid": "the request or value is not valid (details per field in `fields`)",
        "invalid_value": "a field's value is not valid for that field",
        "unknown_field": "a field name the schema or the curator interface does not know",
        "not_found": "no resource at this address",
        "conflict": "the change conflicts with the current state",
        "dataset_not_found": "no (public) dataset with this identifier",
        "record_not_found": "the source has no record with this guid",
        "override_not_found": "the dataset has no curator override for this field",
        "source_not_found": "no source with this id or name",
        "source_exists": "a source with this name exists already",
        "vocabulary_not_found": "no vocabulary (concept scheme) with this name",
        "vocabulary_invalid": "a shipped vocabulary file is malformed or inconsistent",
        "identifier_collision": "no unique dataset identifier could be minted",
        "descriptor_invalid": "metadata merged from the records and overrides is not a valid descriptor",
    },
    "Harvest sources and jobs (a job's `error_code`, the `harvest` commands)": {
        "harvest_failed": "the harvest failed with no more precise code",
        "internal_error": "the harvest stopped on an unexpected error (details in the node's logs only)",
        "abandoned": "the process running the job stopped before it finished; nothing was applied",
        "job_running": "a job of this source is queued or running already",
        "withdraw_limit": "the run would withdraw more than max(10, 20%) of the source's datasets (rerun with --force)",
        "unknown_kind": "no harvester of this kind is registered",
        "unknown_option": "an option the source's harvester kind does not take",
        "invalid_option": "an option of the right name with a value out of range",
        "invalid_name": "a source name without letters or digits",
        "invalid_location": "a source without a location (folder, URL or file)",
        "invalid_cron": "a schedule that is not a five-field crontab",
        "location_not_allowed": "the location is outside ATLAS_HARVEST_FILE_ROOTS",
        "location_missing": "the location is not a readable folder",
        "location_unreadable": "the location cannot be listed",
        "unreadable": "the source file cannot be read",
        "unknown_format": "a file format the harvester does not read",
        "too_large": "the input (feed, file, sheet, document) is larger than its size cap",
        "idc_not_installed": "the idc-index-data package is not installed",
        "idc_unreadable": "the IDC index files cannot be read",
        "max_files_exceeded": "a DICOM dataset folder holds more files than the source's max_files",
        "paging_loop": "a feed's paging links lead back to a page already read",
        "too_many_pages": "a feed has more pages than the source's max_pages",
    },
    "Harvest stage errors (one item of a job; listed in the job report)": {
        "guid_too_long": "an item's identifier is longer than 500 characters",
        "duplicate_guid": "the source lists the same item twice (the first one is kept)",
        "duplicate_identifier": "two dataset folders declare the same identifier",
        "folder_name_identifying": "a dataset folder's name looks like personal data; the folder is skipped",
        "sidecar_invalid": "a dataset folder's dataset.json breaks its schema",
        "no_accepted_files": "no file of a dataset folder passed the de-identification gate",
        "duplicate_key": "a JSON object in a descriptor sheet names the same key twice",
        "invalid_json": "a descriptor sheet is not valid JSON of the expected shape",
        "invalid_encoding": "a descriptor sheet is not UTF-8 text",
        "malformed_csv": "a descriptor sheet is not well-formed CSV",
        "malformed_row": "a CSV row of a descriptor sheet has more cells than the header has columns",
    },
    "Fetching (harvesters/fetch.py: a feed's URL and every redirect hop)": {
        "invalid_url": "the URL is empty, too long, malformed or has control characters",
        "scheme_not_allowed": "not https (plain http only for hosts in ATLAS_HARVEST_PRIVATE_HOSTS)",
        "host_not_allowed": "the host is not a valid DNS name, or not on the source's host allow-list",
        "address_not_allowed": "the host is, or resolves to, a non-public or non-canonical address",
        "dns_error": "the host name cannot be resolved",
        "timeout": "a connect, TLS or read step took longer than its timeout",
        "deadline_exceeded": "the whole fetch took longer than its total deadline",
        "tls_error": "the TLS handshake failed",
        "protocol_error": "the server broke the connection or sent a malformed HTTP response",
        "bad_status": "the server answered with an HTTP status other than success (or a redirect without Location)",
        "content_type_not_allowed": "the response's Content-Type is not an RDF or JSON type",
        "decode_error": "a compressed body is corrupt, truncated, stacked or in an unsupported encoding",
        "too_many_redirects": "more redirects than the fetch allows",
        "redirect_not_allowed": "a redirect hop was refused (its own code is in the error's reason)",
        "egress_denied": "code in a harvest process tried to connect somewhere fetch() did not check (audit hook)",
    },
    "RDF documents (catalogue/dcat/load.py, the one load path: feeds, uploads, validate_dcat)": {
        "xml_encoding_not_allowed": "an XML encoding the DTD check cannot read reliably (UTF-32, EBCDIC, UTF-7, NUL bytes)",
        "xml_dtd_not_allowed": "the XML has a DOCTYPE or an ENTITY declaration (entity expansion, external entities)",
        "json_invalid": "not UTF-8 JSON, or JSON with NaN / Infinity or a number too long to convert",
        "json_duplicate_key": "a JSON object names the same key twice",
        "json_too_deep": "JSON nested deeper than the limit (RDF documents, and API request bodies)",
        "json_too_many_nodes": "a JSON document with more values than the limit",
        "remote_context_not_allowed": "a JSON-LD @context or @import names a URL with no bundled copy; nothing was fetched",
        "json_ld_invalid_context": "a JSON-LD @context or @import value of the wrong shape",
        "json_ld_too_many_contexts": "more context URLs to resolve in one JSON-LD document than the limit (or a cycle)",
        "context_corrupt": "the bundled JSON-LD context does not match its pinned SHA-256 (an edited copy)",
        "too_many_triples": "the document produces more statements than the limit (the parse stops there)",
        "literal_too_large": "a literal longer than the limit (refused as it is parsed)",
        "rdf_too_deep": "the document nests deeper than the parser can follow",
        "rdf_parse_error": "not valid RDF in the stated syntax (with line and column when known)",
    },
    "HTTP API edge (catalogue/api/errors.py, config/error_views.py, config/middleware.py, config/auth.py)": {
        "error": "an API error with no more precise code",
        "bad_request": "the request is not valid",
        "bad_host": "the Host header is not one this server answers for",
        "too_many_fields": "the request has too many form fields",
        "invalid_content_length": "the Content-Length header is not a number",
        "request_too_large": "the request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE",
        "parse_error": "the request body cannot be parsed",
        "unsupported_media_type": "the request body's media type is not accepted",
        "not_acceptable": "no response format matches the Accept header",
        "not_authenticated": "authentication credentials were not provided",
        "authentication_failed": "the credentials are wrong",
        "permission_denied": "the user may not perform this action",
        "csrf_failed": "the CSRF check failed (session-authenticated writes need the token)",
        "method_not_allowed": "the resource does not take this HTTP method",
        "throttled": "too many requests from this client (API rate limits)",
        "locked_out": "too many failed logins from this client or for this account",
        "server_error": "the server failed to answer (details in the server's logs only)",
        "invalid_parameter": "a search parameter that cannot be understood (`fields` names it)",
        "invalid_page": "a page number past the last page of results",
    },
    "Management commands (`manage.py ...`: the message ends with `[code]`)": {
        "invalid_argument": "a command-line argument that is missing or out of range",
        "vocabularies_not_loaded": "a command needs the vocabularies: run `manage.py load_vocabularies` first",
        "shacl_violations": "validate_dcat found SHACL violations in the document",
    },
}

ERROR_CODES: dict[str, str] = {code: meaning for group in ERROR_GROUPS.values() for code, meaning in group.items()}


def describe(code: str) -> str:
    """The one-line meaning of a code; a KeyError names a code nobody listed (a bug the test suite catches)."""
    return ERROR_CODES[code]


def render_markdown() -> str:
    """docs/errors.md: the table above, for people."""
    lines = [
        "# Error codes",
        "",
        "Generated from `catalogue/error_codes.py` (`python -m catalogue.error_codes > docs/errors.md`); a test",
        "checks that this page, the code and the table agree. The same code names a problem in the API's error",
        "body (`{\"error\": {\"code\", \"message\", \"fields\"}}`), in a harvest job (`error_code`, stage errors of",
        "the job report) and at the end of a management command's error message (`... [code]`).",
        "",
        "The de-identification gate's refusal reasons (`r1_not_deidentified`, ...) are not errors: see",
        "docs/deid-gate.md.",
    ]
    for title, group in ERROR_GROUPS.items():
        lines += ["", f"## {title}", "", "| Code | Meaning |", "| --- | --- |"]
        lines += [f"| `{code}` | {meaning} |" for code, meaning in group.items()]
    return "\n".join(lines) + "\n"


def _check_unique() -> None:
    seen: dict[str, str] = {}
    for title, group in ERROR_GROUPS.items():
        for code in group:
            if code in seen:
                raise AssertionError(f"error code {code!r} is listed twice ({seen[code]!r} and {title!r})")
            seen[code] = title


_check_unique()

if __name__ == "__main__":
    print(render_markdown(), end="")
