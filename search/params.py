"""Strict parsing of search parameters (API and portal page) into a `SearchQuery`.

Unknown parameters, malformed values, unknown codes and control characters are refused with the parameter's
name (a `ParameterError`, rendered as the API's one error body or the page's 400), never ignored: a typo in a
filter must not silently widen a search. A repeated filter means any-of; other parameters may appear once.
An empty value is the same as leaving the parameter out (HTML forms send empty fields).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from catalogue.errors import ValidationError
from search.query import FACETS, SORTS, Range, SearchQuery
from search.selectors import facet_codes

RANGE_PARAMS: dict[str, tuple[str, str]] = {
    "subjects": ("subjects_min", "subjects_max"),
    "studies": ("studies_min", "studies_max"),
    "series": ("series_min", "series_max"),
    "size": ("size_min", "size_max"),
    "age": ("age_min", "age_max"),
    "years": ("year_min", "year_max"),
}
SINGLE_PARAMS = ("q", "sort", "page", "page_size", "modality_match")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_TEXT = 200
MAX_VALUES = 50
MAX_INT = 10**15
MAX_PAGE = 100_000


class ParameterError(ValidationError):
    """A search parameter that cannot be understood; `field` names it."""

    code = "invalid_parameter"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}", field=name)


def _control(value: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in value)


def _int(name: str, value: str, *, low: int = 0, high: int = MAX_INT) -> int:
    if not value.isascii() or not value.isdigit():
        raise ParameterError(name, f"{value!r} is not a whole number")
    n = int(value)
    if not low <= n <= high:
        raise ParameterError(name, f"{n} is outside {low}..{high}")
    return n


def search_param_names() -> tuple[str, ...]:
    return (*SINGLE_PARAMS, *FACETS, *(p for pair in RANGE_PARAMS.values() for p in pair))


def clean_values(params: Mapping[str, Sequence[str]], *, allowed: Iterable[str]) -> dict[str, list[str]]:
    """Check names and characters; return non-empty values per name (single parameters at most once)."""
    allowed = set(allowed)
    out: dict[str, list[str]] = {}
    for name, values in params.items():
        if name not in allowed:
            shown = name if name.isprintable() and len(name) <= 60 else repr(name[:60])
            raise ParameterError(shown, "unknown parameter")
        if len(values) > MAX_VALUES:
            raise ParameterError(name, f"more than {MAX_VALUES} values")
        kept = []
        for value in values:
            if _control(value):
                raise ParameterError(name, "control characters are not allowed")
            if len(value) > MAX_TEXT:
                raise ParameterError(name, f"longer than {MAX_TEXT} characters")
            if value.strip():
                kept.append(value.strip())
        if name in SINGLE_PARAMS and len(kept) > 1:
            raise ParameterError(name, "given more than once")
        if kept:
            out[name] = kept
    return out


def parse_search_params(
    params: Mapping[str, Sequence[str]], *, extra_allowed: Iterable[str] = (), max_page_size: int = MAX_PAGE_SIZE,
) -> SearchQuery:
    """A SearchQuery from request parameters (name -> list of values, e.g. `dict(request.GET.lists())`)."""
    values = clean_values(params, allowed=(*search_param_names(), *extra_allowed))
    one = {name: values[name][0] for name in SINGLE_PARAMS if name in values}

    filters: dict[str, tuple[str, ...]] = {}
    for facet in FACETS:
        if facet not in values:
            continue
        known = facet_codes(facet=facet)
        codes: list[str] = []
        for value in values[facet]:
            code = value if known is None else known.get(value.casefold())
            if code is None:
                raise ParameterError(facet, f"unknown code {value!r}")
            if code not in codes:
                codes.append(code)
        filters[facet] = tuple(codes)

    ranges: dict[str, Range] = {}
    for name, (low_param, high_param) in RANGE_PARAMS.items():
        low = _int(low_param, values[low_param][0]) if low_param in values else None
        high = _int(high_param, values[high_param][0]) if high_param in values else None
        if low_param in values and len(values[low_param]) > 1:
            raise ParameterError(low_param, "given more than once")
        if high_param in values and len(values[high_param]) > 1:
            raise ParameterError(high_param, "given more than once")
        if low is not None and high is not None and low > high:
            raise ParameterError(low_param, f"{low} is above {high_param}={high}")
        if low is not None or high is not None:
            ranges[name] = Range(low, high)

    sort = one.get("sort", "relevance")
    if sort not in SORTS:
        raise ParameterError("sort", f"{sort!r} is not one of {', '.join(SORTS)}")
    match = one.get("modality_match", "any")
    if match not in ("any", "all"):
        raise ParameterError("modality_match", f"{match!r} is not 'any' or 'all'")
    page = _int("page", one["page"], low=1, high=MAX_PAGE) if "page" in one else 1
    page_size = DEFAULT_PAGE_SIZE
    if "page_size" in one:
        page_size = min(_int("page_size", one["page_size"], low=1), max_page_size)
    return SearchQuery(
        text=one.get("q", ""), filters=filters, modality_match=match, ranges=ranges,  # type: ignore[arg-type]
        sort=sort, page=page, page_size=page_size,
    )
