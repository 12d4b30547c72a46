"""The read side of search: one query object in, one result object out, the same for every backend.

Filter values are vocabulary codes (the vocabulary API's `code`: DICOM `CT`, `MR`, `CHEST`; `M`, `F`, `O` for
sex). Several values of one filter mean any-of, except modalities with `modality_match="all"`. Ranges are
inclusive and work on published values only (docs/privacy.md §0.1): a dataset whose subject total is "<10"
matches a range as 0 subjects and sorts as such. Facet counts are counts of datasets, not of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FacetName = Literal[
    "cancer_type", "modality", "body_part", "manufacturer", "sex", "publisher", "country", "access_rights",
    "licence", "tier", "species", "has_segmentations",
]
FACETS: tuple[str, ...] = FacetName.__args__  # type: ignore[attr-defined]

RangeName = Literal["subjects", "studies", "series", "size", "age", "years"]
RANGES: tuple[str, ...] = RangeName.__args__  # type: ignore[attr-defined]

SortName = Literal["relevance", "subjects", "-subjects", "studies", "-studies", "modified", "-modified", "title", "-title"]
SORTS: tuple[str, ...] = SortName.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Range:
    """An inclusive range; None on either side is open."""

    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class SearchQuery:
    """A dataset search as a researcher asks it (the API and the portal build one of these)."""

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet name -> codes (any-of)
    modality_match: Literal["any", "all"] = "any"
    ranges: dict[str, Range] = field(default_factory=dict)  # range name -> Range
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: tuple[str, ...] = FACETS  # which facets to count


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """Identifiers of one page, in order; the total; facet counts (datasets) per requested facet."""

    identifiers: list[str]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
