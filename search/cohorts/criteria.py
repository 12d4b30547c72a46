"""A cohort question and its strict parser (docs/privacy.md §0.3, §0.4).

Strict because lenient parsing answers a different question than the one asked: an unknown parameter, a
malformed number, an unknown code or a control character is a 400 naming the parameter (the one error body of
catalogue/api/errors.py), never silently ignored. A repeated parameter means any-of; an empty value means "no
filter" (so a form that submits every field works). The parameter helpers at the top are generic, so other
query-string APIs can reuse them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from catalogue import disclosure, selectors
from catalogue.errors import ValidationError
from catalogue.models import Concept

MAX_VALUES = 50
"""Most values one repeated parameter may carry."""

MAX_LENGTH = 200
"""Longest value accepted (codes and manufacturer names are far shorter)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# ------------------------------------------------------------------------------------------------ parameters


def parameter_error(name: str, message: str, code: str) -> ValidationError:
    """A 400 naming the parameter: {"error": {"code", "message", "fields": {name: [message]}}}."""
    return ValidationError(message, code=code, field=name)


def check_parameters(params: Mapping[str, Sequence[str]], allowed: Iterable[str]) -> None:
    """Refuse unknown parameters, control characters, over-long values and too many repeats."""
    allowed = set(allowed)
    for name in sorted(params):
        if _CONTROL.search(name):
            raise parameter_error(repr(name)[1:-1], "Parameter names may not contain control characters.",
                                  "control_character")
        if name not in allowed:
            raise parameter_error(name, f"Unknown parameter {name!r}; accepted: {', '.join(sorted(allowed))}.",
                                  "unknown_parameter")
        values = params[name]
        if len(values) > MAX_VALUES:
            raise parameter_error(name, f"At most {MAX_VALUES} values.", "too_many_values")
        for value in values:
            if _CONTROL.search(value):
                raise parameter_error(name, "Values may not contain control characters.", "control_character")
            if len(value) > MAX_LENGTH:
                raise parameter_error(name, f"Values are at most {MAX_LENGTH} characters.", "too_long")


def many(params: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    """Every non-empty value of a repeatable parameter, stripped, deduplicated, in a fixed (sorted) order."""
    return tuple(sorted({v.strip() for v in params.get(name, ()) if v.strip()}))


def single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The value of a parameter that may appear once (None when absent or empty); repeated is an error."""
    values = [v.strip() for v in params.get(name, ()) if v.strip()]
    if len(values) > 1:
        raise parameter_error(name, "This parameter takes one value.", "repeated_parameter")
    return values[0] if values else None


def integer(params: Mapping[str, Sequence[str]], name: str, *, low: int, high: int) -> int | None:
    """A non-negative decimal integer in [low, high], or None when absent."""
    value = single(params, name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise parameter_error(name, f"{value!r} is not a whole number.", "malformed")
    number = int(value)
    if not low <= number <= high:
        raise parameter_error(name, f"{number} is outside {low}..{high}.", "out_of_range")
    return number


def vocabulary_codes(scheme: str, name: str, values: Sequence[str]) -> tuple[str, ...]:
    """Map codes of one vocabulary (the vocabulary API's `code`, case-insensitive) to their canonical form."""
    if not values:
        return ()
    known: dict[str, str] = {}
    for code in Concept.objects.filter(scheme__slug=scheme).values_list("code", flat=True):
        known.setdefault(code.casefold(), code)
    out = set()
    for value in values:
        code = known.get(value.casefold())
        if code is None:
            raise parameter_error(name, f"{value!r} is not a code of the {scheme} vocabulary (/api/v1/vocabularies/"
                                        f"{scheme}/concepts/).", "unknown_code")
        out.add(code)
    return tuple(sorted(out))


# ------------------------------------------------------------------------------------------------ the question


@dataclass(frozen=True)
class CohortCriteria:
    """One cohort question as understood: canonical codes, sorted; ages already snapped to band edges (§0.3).

    Study-level criteria (§0.4): modality, body part, sex, age band, year, manufacturer. Dataset-level: cancer
    type, where a code includes its subtypes. Several values of one criterion mean any-of; with
    `modality_match="all"` a subject's matching studies together must cover every chosen modality.
    """

    cancer_types: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    modality_match: Literal["any", "all"] = "any"
    body_parts: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    year_min: int | None = None
    year_max: int | None = None
    manufacturers: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The "criteria" of the response: the question as it was answered."""
        return {
            "cancer_type": list(self.cancer_types),
            "modality": list(self.modalities),
            "modality_match": self.modality_match,
            "body_part": list(self.body_parts),
            "sex": list(self.sexes),
            "age_min": self.age_min,
            "age_max": self.age_max,
            "year_min": self.year_min,
            "year_max": self.year_max,
            "manufacturer": list(self.manufacturers),
        }


def cohort_criteria(
    *,
    cancer_types: Iterable[str] = (),
    modalities: Iterable[str] = (),
    modality_match: Literal["any", "all"] = "any",
    body_parts: Iterable[str] = (),
    sexes: Iterable[str] = (),
    age_min: int | None = None,
    age_max: int | None = None,
    year_min: int | None = None,
    year_max: int | None = None,
    manufacturers: Iterable[str] = (),
) -> CohortCriteria:
    """Build criteria in canonical form (sorted, deduplicated, ages snapped); the codes are trusted here."""
    if modality_match not in ("any", "all"):
        raise ValueError(f"modality_match must be 'any' or 'all', not {modality_match!r}")
    lo, hi = disclosure.snap_age_range(age_min, age_max)
    return CohortCriteria(
        cancer_types=tuple(sorted(set(cancer_types))),
        modalities=tuple(sorted(set(modalities))),
        modality_match=modality_match,
        body_parts=tuple(sorted(set(body_parts))),
        sexes=tuple(sorted(set(sexes))),
        age_min=lo,
        age_max=hi,
        year_min=year_min,
        year_max=year_max,
        manufacturers=tuple(sorted({m.strip() for m in manufacturers}, key=lambda m: (m.casefold(), m))),
    )


PARAMETERS = (
    "cancer_type", "modality", "modality_match", "body_part", "sex", "age_min", "age_max", "year_min", "year_max",
    "manufacturer",
)
MAX_AGE = 150
YEARS = (1800, 2200)


def _published_manufacturers(name: str, values: Sequence[str]) -> tuple[str, ...]:
    """Manufacturers as published on some public dataset (case-insensitive); anything else is unknown.

    Checked against published dataset metadata, never against the study facts: a 400 that depended on the facts
    would tell whether some study has that manufacturer.
    """
    if not values:
        return ()
    known: set[str] = set()
    for listed in selectors.dataset_list_public().values_list("manufacturers", flat=True):
        known.update(m.casefold() for m in listed or () if isinstance(m, str))
    for value in values:
        if value.casefold() not in known:
            raise parameter_error(name, f"{value!r} is not a manufacturer of any published dataset.", "unknown_code")
    return tuple(values)


def parse_cohort_query(params: Mapping[str, Sequence[str]]) -> CohortCriteria:
    """Parse `?cancer_type=&modality=&modality_match=all&...` strictly (see the module docstring)."""
    check_parameters(params, PARAMETERS)
    match = single(params, "modality_match") or "any"
    if match not in ("any", "all"):
        raise parameter_error("modality_match", f"{match!r} is not 'any' or 'all'.", "malformed")
    age_min = integer(params, "age_min", low=0, high=MAX_AGE)
    age_max = integer(params, "age_max", low=0, high=MAX_AGE)
    if age_min is not None and age_max is not None and age_min > age_max:
        raise parameter_error("age_max", f"age_max {age_max} is below age_min {age_min}.", "invalid_range")
    year_min = integer(params, "year_min", low=YEARS[0], high=YEARS[1])
    year_max = integer(params, "year_max", low=YEARS[0], high=YEARS[1])
    if year_min is not None and year_max is not None and year_min > year_max:
        raise parameter_error("year_max", f"year_max {year_max} is before year_min {year_min}.", "invalid_range")
    return cohort_criteria(
        cancer_types=vocabulary_codes("cancer-type", "cancer_type", many(params, "cancer_type")),
        modalities=vocabulary_codes("modality", "modality", many(params, "modality")),
        modality_match=match,  # type: ignore[arg-type]
        body_parts=vocabulary_codes("body-part", "body_part", many(params, "body_part")),
        sexes=vocabulary_codes("sex", "sex", many(params, "sex")),
        age_min=age_min,
        age_max=age_max,
        year_min=year_min,
        year_max=year_max,
        manufacturers=_published_manufacturers("manufacturer", many(params, "manufacturer")),
    )
