"""The atlas disclosure rules (docs/privacy.md §0 and §2): the one place that decides what a count may look like.

Every page, API response, search facet, chart and RDF export that shows a number about people calls this
module; nothing else rounds, thresholds or suppresses. Keeping the rules in one pure, Django-model-free module
means they can be tested exhaustively (tests/catalogue/test_disclosure.py) and cannot drift between views.

What is published (k is `ATLAS_DISCLOSURE_K`, 10 by default):

* Dataset totals that data holders publish (§0.1) are exact, except a subject total below k, which is "<k"
  and is left out of the RDF export (`numberOfUniqueIndividuals`). Such a small dataset also publishes its
  study total under the same rule and withholds its sex list, age range and years (`publish_dataset_figures`),
  and takes no part in cohort counts (`cohort_eligible`).
* Counts the atlas computes (§0.2: cohorts, facets, breakdowns, charts) are "<k", "suppressed", or an int
  that is a multiple of 5 and at least k. See `publish_computed_count` for the exact rule and its reasons.
* Cohort totals are sums over datasets (§0.4) and are published so that they can never narrow what the
  per-dataset cells already say about a small cell (`publish_cohort`); subjects and studies each so
  (`publish_cohort_counts`).
* Breakdowns inside one dataset get secondary suppression (`publish_distribution`); a sex breakdown is only
  shown when every category is at least k (`publish_sex_breakdown`).
* Ages are 5-year bands top-coded at 90+, dates are years (§0.3, R13, R14).

A published count in JSON is an int or one of the two strings, never a float or a bool (`is_publishable`).
All functions are deterministic: the same question always gets the same answer (§0.2), so repeating a query
cannot average noise away.

Invalid input (negative counts, bools, floats, a count above its dataset total) raises
`DisclosureInputError`, which is both a ValueError and a TypeError: a wrong number here is a bug or hostile
input, and it must fail loudly rather than be published.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

__all__ = [
    "SUPPRESSED",
    "TOP_AGE_BAND",
    "CohortAnswer",
    "CohortCounts",
    "DatasetFigures",
    "DisclosureInputError",
    "PublishedCount",
    "age_band",
    "age_band_label",
    "below_k_label",
    "cohort_dataset_total",
    "cohort_eligible",
    "coarse_year",
    "dataset_total_withheld",
    "get_k",
    "is_publishable",
    "parse_dicom_age",
    "publish_age_range",
    "publish_cohort",
    "publish_cohort_counts",
    "publish_cohort_total",
    "publish_computed_count",
    "publish_dataset_figures",
    "publish_dataset_total",
    "publish_distribution",
    "publish_sex_breakdown",
    "snap_age_range",
]

PublishedCount: TypeAlias = int | str
"""A count as it may leave the catalogue: an int, "<k" or "suppressed"."""

SUPPRESSED = "suppressed"
"""Published instead of a count whose value (or whose complement in its dataset) would disclose a small cell."""

TOP_AGE_BAND = 90
"""Lower edge of the top-coded "90+" age band (docs/privacy.md R14)."""

_BAND_WIDTH = 5
_ROUND_TO = 5


class DisclosureInputError(ValueError, TypeError):
    """A count, total, age or threshold that cannot be published because it is not a valid value.

    Subclasses both ValueError and TypeError so callers may catch either; the tests and callers use ValueError.
    """


# --------------------------------------------------------------------------------------------------------------
# threshold and labels


def below_k_label(k: int) -> str:
    """The string published for a count below the threshold: "<10" for k = 10."""
    return f"<{_check_k(k)}"


def get_k() -> int:
    """The disclosure threshold k: `ATLAS_DISCLOSURE_K` (default 10, docs/privacy.md §2; set in config/settings.py).

    Read on every call (not at import), so tests that override the setting see the new value. There is no
    fallback here: unconfigured settings, or a value that is not an integer >= 1, raise ImproperlyConfigured
    (config.app_settings), since a silent default must never change what gets published.
    """
    from config.app_settings import app_settings

    return app_settings.ATLAS_DISCLOSURE_K


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise DisclosureInputError(f"k must be an integer >= 1, not {k!r}")
    return k


def _resolve_k(k: int | None) -> int:
    return get_k() if k is None else _check_k(k)


def _check_count(value: Any, name: str) -> int:
    """Accept only true non-negative ints: bools and floats are bugs (True would publish as 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DisclosureInputError(f"{name} must be a non-negative int, not {type(value).__name__} {value!r}")
    if value < 0:
        raise DisclosureInputError(f"{name} must be non-negative, not {value}")
    return value


def _check_total(value: Any, name: str = "dataset_total") -> int | None:
    return None if value is None else _check_count(value, name)


def is_publishable(value: Any, *, k: int | None = None) -> bool:
    """True when `value` has the shape of a published count (docs/privacy.md §0.2's JSON rule).

    That is an int (not a bool) of at least k, the string "<k" for this k, or "suppressed". It does not check
    rounding, because exact dataset totals (§0.1) are publishable too; it does reject floats, bools, negative
    numbers and every exact number below k, which is what must never reach a response.
    """
    k = _resolve_k(k)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= k
    if isinstance(value, str):
        return value == SUPPRESSED or value == below_k_label(k)
    return False


# --------------------------------------------------------------------------------------------------------------
# dataset totals (§0.1)


def publish_dataset_total(n: int | None, *, k: int | None = None) -> PublishedCount | None:
    """A dataset-level total as the data holder published it: exact, but "<k" for a subject total below k.

    Dataset totals are metadata the data holder already makes public (§0.1), so rounding them would only make
    the catalogue disagree with its sources. Only the subject total of a very small dataset is withheld, since
    it is itself a small count of people. Studies, series, instances and size are published exactly; call this
    for the subject total only. None (unknown) stays None.
    """
    k = _resolve_k(k)
    n = _check_total(n, "n")
    if n is None:
        return None
    return below_k_label(k) if n < k else n


def dataset_total_withheld(n_subjects: int | None, *, k: int | None = None) -> bool:
    """True when the RDF export must omit numberOfUniqueIndividuals (0 <= n < k) and report it withheld.

    An unknown total (None) is not "withheld": there is nothing to omit.
    """
    k = _resolve_k(k)
    n_subjects = _check_total(n_subjects, "n_subjects")
    return n_subjects is not None and n_subjects < k


@dataclass(frozen=True)
class DatasetFigures:
    """What may be published about one dataset's population and imaging (docs/privacy.md §0.1).

    `small` is True when the dataset has fewer than k subjects (or, with no subject total, fewer than k
    studies): then its study total is published like its subject total ("<k"), and its sex list, age range
    and acquisition years are withheld (empty / None) everywhere: API, pages, search documents and facets, RDF.
    Without this, "<10" subjects next to 1 study, one sex, the 90+ band and one year describe one person.
    """

    subjects: PublishedCount | None
    studies: PublishedCount | None
    series: int | None
    instances: int | None
    bytes: int | None
    sexes: tuple[str, ...]
    min_age: str | None
    max_age: str | None
    age_band_min: int | None
    age_band_max: int | None
    year_min: int | None
    year_max: int | None
    small: bool


def publish_dataset_figures(
    *,
    n_subjects: int | None,
    n_studies: int | None,
    n_series: int | None = None,
    n_instances: int | None = None,
    n_bytes: int | None = None,
    sexes: Sequence[str] = (),
    min_age: int | None = None,
    max_age: int | None = None,
    year_min: int | None = None,
    year_max: int | None = None,
    k: int | None = None,
) -> DatasetFigures:
    """Every published figure of a dataset, with the small-dataset rule of §0.1 applied in one place."""
    k = _resolve_k(k)
    n_subjects = _check_total(n_subjects, "n_subjects")
    n_studies = _check_total(n_studies, "n_studies")
    small = (n_subjects is not None and n_subjects < k) or (n_subjects is None and n_studies is not None and n_studies < k)
    if small:
        return DatasetFigures(
            subjects=publish_dataset_total(n_subjects, k=k),
            studies=publish_dataset_total(n_studies, k=k),
            series=_check_total(n_series, "n_series"),
            instances=_check_total(n_instances, "n_instances"),
            bytes=_check_total(n_bytes, "n_bytes"),
            sexes=(), min_age=None, max_age=None, age_band_min=None, age_band_max=None,
            year_min=None, year_max=None, small=True,
        )
    low, high = publish_age_range(min_age, max_age)
    return DatasetFigures(
        subjects=publish_dataset_total(n_subjects, k=k),
        studies=publish_dataset_total(n_studies, k=k),  # "<k" too: a study total below k is a small count
        series=_check_total(n_series, "n_series"),
        instances=_check_total(n_instances, "n_instances"),
        bytes=_check_total(n_bytes, "n_bytes"),
        sexes=tuple(sorted(set(sexes))),
        min_age=low,
        max_age=high,
        age_band_min=age_band(min_age),
        age_band_max=age_band(max_age),
        year_min=year_min,
        year_max=year_max,
        small=False,
    )


# --------------------------------------------------------------------------------------------------------------
# computed counts (§0.2)


def _round5(n: int) -> int:
    """Nearest multiple of 5, halves up. Integers never tie at base 5: remainders 0-2 go down, 3-4 go up."""
    return (n + 2) // _ROUND_TO * _ROUND_TO


def _smallest_published_int(k: int) -> int:
    """k rounded up to a multiple of 5: the smallest int a computed count may be published as."""
    return -(-k // _ROUND_TO) * _ROUND_TO


def _rounded(n: int, k: int) -> int:
    """Publish n (known to be >= k) as a multiple of 5 that is never below k.

    For k a multiple of 5 (the default 10) this is plain rounding: 10, 11, 12 -> 10 and 13 -> 15, at most 2 off.
    For other k, rounding could give a number below k (k = 11: 11 -> 10), which would read as an exact small
    count, so those counts are raised to k rounded up to a multiple of 5 (11, 12 -> 15; at most 4 off).
    Monotonic in n, so a larger cohort never shows a smaller number.
    """
    return max(_round5(n), _smallest_published_int(k))


def publish_computed_count(count: int, *, dataset_total: int | None, k: int | None = None) -> PublishedCount:
    """Publish a count the atlas computed for arbitrary criteria (§0.2), within one dataset.

    Rule, with D = dataset_total (the dataset's subject total, or None when the count spans no single dataset):

    1. count < k, and D is unknown, below k, or at least 2k-1  ->  "<k".
    2. D is known (>= k) and its complement D - count is 1..k-1  ->  "suppressed": D is published exactly
       (§0.1), so an exact or rounded count would give away the few subjects who do *not* match.
    3. count < k in a dataset of k..2k-2 subjects  ->  "suppressed" as well. In such a dataset every count
       other than D has a small count or a small complement. Published as "<k", those counts would pin the
       value down (D = 11: "<10" could then only mean 0 or 1, since 2..9 have complement 2..9); and if "<k"
       took precedence instead, "suppressed" would mean exactly 10. With one label for all of them, each label
       still leaves at least k-1 candidate values.
    4. Otherwise the count rounded to the nearest 5 (`_rounded`): a multiple of 5, never below k.

    A count equal to D (complement 0) is published rounded: the dataset total is already public.
    Deterministic, no noise, so a repeated query always gets the same answer.
    """
    k = _resolve_k(k)
    count = _check_count(count, "count")
    dataset_total = _check_total(dataset_total)
    if dataset_total is not None and count > dataset_total:
        raise DisclosureInputError(f"count {count} exceeds its dataset total {dataset_total}")
    if dataset_total is None or dataset_total < k:
        return below_k_label(k) if count < k else _rounded(count, k)
    complement = dataset_total - count
    if 1 <= complement <= k - 1:
        return SUPPRESSED
    if count < k:
        return below_k_label(k) if dataset_total >= 2 * k - 1 else SUPPRESSED
    return _rounded(count, k)


@lru_cache(maxsize=4096)
def _feasible_range(label: PublishedCount, public_total: int | None, k: int) -> tuple[int, int, bool]:
    """The smallest and largest count that `publish_computed_count` turns into `label`, and whether every
    count in between does too.

    This is exactly what an observer learns about a cell from its label and the dataset's public total
    (None when the total is unknown or itself published as "<k"). It is computed by running the rule itself
    over a window that surely contains every candidate, so it can never disagree with the rule. The set has a
    gap only for k in {2, 3, 4, 6}, where one rounded value can stand both for the full dataset and for counts
    at least k below it.
    """
    if label == below_k_label(k):
        lo, hi = 0, k - 1
    elif label == SUPPRESSED:
        if public_total is None:
            raise DisclosureInputError("a 'suppressed' cell needs its dataset total")
        lo, hi = max(0, public_total - 2 * k), public_total - 1
    elif isinstance(label, int) and not isinstance(label, bool):
        # Above the smallest published int, only plain rounding maps to the label (label +- 2); the smallest one
        # also stands for every count from k up (k = 11: 11 and 12 are published as 15).
        lo = label - 2 if label > _smallest_published_int(k) else max(0, min(k, label - 2))
        hi = label + 2
    else:
        raise DisclosureInputError(f"not a published count: {label!r}")
    if public_total is not None:
        hi = min(hi, public_total)
    values = [x for x in range(lo, hi + 1) if publish_computed_count(x, dataset_total=public_total, k=k) == label]
    if not values:
        raise DisclosureInputError(f"no count publishes as {label!r} (total {public_total}, k {k})")
    return values[0], values[-1], len(values) == values[-1] - values[0] + 1


# --------------------------------------------------------------------------------------------------------------
# cohort totals (§0.4 and §2 "secondary suppression")


@dataclass(frozen=True, slots=True)
class CohortCounts:
    """A cohort count as published: one cell per dataset (in input order) and the total over datasets."""

    cells: tuple[PublishedCount, ...]
    total: PublishedCount


def publish_cohort(per_dataset: Sequence[tuple[int, int | None]], *, k: int | None = None) -> CohortCounts:
    """Publish a cohort's per-dataset counts and its total so that no small cell can be recovered by subtraction.

    `per_dataset` holds (count, dataset subject total or None) for every dataset searched, including datasets
    with no match. Each cell is `publish_computed_count(count, dataset_total=total)`.

    Why the total is not simply the rounded exact sum: rounding alone does not stop subtraction. Two datasets
    each with 9 matches show "<10" and "<10"; a rounded total of 20 could then only be 18 = 9 + 9 (any smaller
    sum rounds to 15 or less), so both cells are recovered exactly. Rounding the total to 10 when a cell is small
    does not fix it either: cells 15 (truly 17) and "<10" (truly 8) with a total of 25 -> 30 leave only 8 or 9.

    Rule (it uses only what is already public, so the rule itself leaks nothing):

    1. For each cell, [lo_i, hi_i] is the range of counts its label allows given its public dataset total
       (`_feasible_range`). L = sum lo_i, H = sum hi_i bound the exact sum S from the cells alone.
    2. If every cell is numeric: the total is S rounded like any computed count (an int >= k when there is a
       dataset at all; every complement is 0 or >= k, so the sum's complement is too).
    3. If some cell is "<k" or "suppressed", let W be the widest range among those cells. Sums within W of
       either bound are coarsened into an edge bin: [L, L+W] and [H-W, H] (one bin [L, H] when these meet).
       A sum in an edge bin is published as its bin's midpoint rounded to 5; "<k" if the whole bin is below k;
       "suppressed" if the bin straddles k, or if it reaches the complement zone (sum of public dataset totals
       minus 1..k-1). Any other sum (always >= k) is rounded to 5.

    Guarantee: for every small cell j, every value in [lo_j, hi_j] stays consistent with the published cells
    and total, because each published total corresponds to a set of sums reaching at least W from both L and H.
    The total never narrows a small cell beyond what its own label says (tests check this by brute force).
    Accuracy: where no cell is small the total is the rounded sum (at most 2 off for k = 10); otherwise an edge
    bin is at most about W/2 + 2 off (about 7 for k = 10) and a merged bin at most W + 4 (tested). A cohort
    whose datasets are mostly zero stays accurate, since small cells near zero fall into the low bin near L.

    The guarantee needs each cell's candidate set to be an interval. That holds for every k except 2, 3, 4
    and 6, where a numeric cell can have a gap; then, if some cell is small, the total is "suppressed".
    The guarantee covers one published result: differencing across different queries is limited by the
    rounding and by the query budget (§2), not by this function.
    """
    k = _resolve_k(k)
    counts: list[int] = []
    totals: list[int | None] = []
    for item in per_dataset:
        try:
            count, total = item
        except (TypeError, ValueError) as exc:
            raise DisclosureInputError(f"expected (count, dataset_total), not {item!r}") from exc
        count = _check_count(count, "count")
        total = _check_total(total)
        if total is not None and count > total:
            raise DisclosureInputError(f"count {count} exceeds its dataset total {total}")
        counts.append(count)
        totals.append(total)

    cells = tuple(publish_computed_count(c, dataset_total=t, k=k) for c, t in zip(counts, totals, strict=True))
    exact_sum = sum(counts)
    small = [i for i, cell in enumerate(cells) if isinstance(cell, str)]
    if not small:
        return CohortCounts(cells, publish_computed_count(exact_sum, dataset_total=None, k=k))

    # What an observer knows: a total below k is published as "<k", so it is not a public total.
    public = [t if t is not None and t >= k else None for t in totals]
    feasible = [_feasible_range(cell, pt, k) for cell, pt in zip(cells, public, strict=True)]
    if not all(contiguous for _, _, contiguous in feasible):
        # Sums of gapped sets have gaps, which the bins below cannot account for: publish nothing.
        return CohortCounts(cells, SUPPRESSED)
    ranges = [(lo, hi) for lo, hi, _ in feasible]
    low = sum(lo for lo, _ in ranges)
    high = sum(hi for _, hi in ranges)
    width = max(ranges[i][1] - ranges[i][0] for i in small)
    totals_sum = sum(public) if all(t is not None for t in public) else None  # type: ignore[arg-type]

    if low + width >= high - width - 1:
        bin_ = (low, high)
    elif exact_sum <= low + width:
        bin_ = (low, low + width)
    elif exact_sum >= high - width:
        bin_ = (high - width, high)
    else:
        return CohortCounts(cells, _rounded(exact_sum, k))  # always >= k here, see the docstring
    return CohortCounts(cells, _publish_bin(bin_, totals_sum, k))


def _publish_bin(bin_: tuple[int, int], totals_sum: int | None, k: int) -> PublishedCount:
    """Publish a range of sums as one value, decided from the range alone (never from the exact sum)."""
    a, b = bin_
    if b < k:
        return below_k_label(k)
    if a < k:
        return SUPPRESSED
    if totals_sum is not None and a <= totals_sum - 1 and b >= totals_sum - k + 1:
        return SUPPRESSED
    return _rounded((a + b) // 2, k)


def publish_cohort_total(per_dataset: Sequence[tuple[int, int | None]], *, k: int | None = None) -> PublishedCount:
    """The published total of a cohort over datasets: see `publish_cohort` for the rule and why.

    Callers that also show per-dataset counts should call `publish_cohort` and show its cells, so the cells and
    the total come from one decision.
    """
    return publish_cohort(per_dataset, k=k).total


def cohort_eligible(*, n_subjects: int | None, n_studies: int | None, fact_subjects: int, k: int | None = None) -> bool:
    """True when a dataset may answer cohort questions (docs/privacy.md §0.1 and §0.4).

    A small dataset (`publish_dataset_figures(...).small`) withholds its sex list, age range and acquisition years
    everywhere; cohort counts by sex, age or year over its study facts would publish exactly that (a study count
    of 30 for sex F next to "<10" for sex M gives its sex list away), so it takes no part in cohort counts. The
    same holds for a dataset whose study facts hold fewer than k subjects whatever its declared total says:
    that is only the "<k" its subject total would publish. Decided from the published figures and the size of
    the fact population only, never from the criteria, so being left out says nothing about a question.
    """
    k = _resolve_k(k)
    fact_subjects = _check_count(fact_subjects, "fact_subjects")
    figures = publish_dataset_figures(n_subjects=n_subjects, n_studies=n_studies, k=k)
    return not figures.small and fact_subjects >= k


def cohort_dataset_total(*, declared: int | None, observed: int) -> int | None:
    """The dataset total a cohort cell is published against: the declared (public) total when it is consistent.

    The complement rule of `publish_computed_count` protects the few subjects outside a cell against the public
    total. When the study facts hold more subjects than the declared total (two sources disagree), the declared
    figure is not the population the counts come from, so the cell is published with no total (None) rather than
    against a wrong one; a cell can never exceed the total it is published against.
    """
    observed = _check_count(observed, "observed")
    declared = _check_total(declared, "declared")
    return declared if declared is not None and declared >= observed else None


@dataclass(frozen=True, slots=True)
class CohortAnswer:
    """A cohort count as published (§0.4): per dataset (in input order) its subjects and studies, and both totals."""

    subjects: tuple[PublishedCount, ...]
    studies: tuple[PublishedCount, ...]
    total_subjects: PublishedCount
    total_studies: PublishedCount


def publish_cohort_counts(
    per_dataset: Sequence[tuple[int, int | None, int, int | None]], *, k: int | None = None
) -> CohortAnswer:
    """Publish a cohort count over datasets: rows of (subjects, subject total, studies, study total).

    Subjects and studies are two computed counts (§0.2), each published with `publish_cohort` against its own
    public dataset total, so that neither the cells nor the totals can be subtracted to recover a small cell.
    Studies counted are the matching studies of counted subjects (§0.4), so a row with more subjects than
    studies is impossible and raises. Callers pass only datasets that `cohort_eligible` admits, with totals from
    `cohort_dataset_total`.

    Known limit, by design of §0.2 (each computed count on its own): a study cell of 10 or more next to a "<k"
    subject cell shows that at least one subject matched (a "<k" alone also stands for 0); it never shows how
    many. Small datasets, whose people this would describe most, take no part at all (`cohort_eligible`).
    """
    k = _resolve_k(k)
    for row in per_dataset:
        try:
            subjects, _, studies, _ = row
        except (TypeError, ValueError) as exc:
            raise DisclosureInputError(f"expected (subjects, subject_total, studies, study_total), not {row!r}") from exc
        if _check_count(studies, "studies") < _check_count(subjects, "subjects"):
            raise DisclosureInputError(f"{studies} studies cannot hold {subjects} subjects")
    by_subject = publish_cohort([(s, st) for s, st, _, _ in per_dataset], k=k)
    by_study = publish_cohort([(n, nt) for _, _, n, nt in per_dataset], k=k)
    return CohortAnswer(by_subject.cells, by_study.cells, by_subject.total, by_study.total)


# --------------------------------------------------------------------------------------------------------------
# breakdowns within a dataset (§0.2, §2)


def publish_distribution(
    counts: Mapping[str, int], *, dataset_total: int | None, k: int | None = None
) -> dict[str, PublishedCount]:
    """Publish a breakdown of one dataset (sex, age band, year...): each cell by `publish_computed_count`,
    plus secondary suppression.

    Secondary suppression: the dataset total is public, so with exactly one small cell and numeric others, the
    small one is the total minus the others. When exactly one cell is non-numeric, the numeric cell with the
    smallest count (ties: the first key in sorted order, so the choice is deterministic) is also "suppressed".
    Subjects not in any listed category (D minus the sum, when D is known and positive) form an implicit,
    unshown cell. When every shown cell is numeric and that remainder is small, a small "unknown" group could
    be found by subtracting every shown cell from D, so the smallest shown cell is suppressed; that leaves one
    shown non-numeric cell, so the rule above then suppresses the next smallest too. The remainder is never
    counted as the second unknown that protects a shown small cell: an observer may learn it elsewhere.
    At most two cells are suppressed beyond `publish_computed_count`, always the smallest numeric ones.
    """
    k = _resolve_k(k)
    dataset_total = _check_total(dataset_total)
    checked: dict[str, int] = {}
    for key, value in counts.items():
        if not isinstance(key, str):
            raise DisclosureInputError(f"category keys must be strings, not {key!r}")
        checked[key] = _check_count(value, f"count of {key!r}")
    if dataset_total is not None and sum(checked.values()) > dataset_total:
        raise DisclosureInputError(f"categories sum to {sum(checked.values())}, above the total {dataset_total}")

    out: dict[str, PublishedCount] = {
        key: publish_computed_count(value, dataset_total=dataset_total, k=k) for key, value in checked.items()
    }
    # Numeric cells in suppression order: smallest count first, ties by key, so the choice is deterministic.
    numeric = sorted((key for key, value in out.items() if not isinstance(value, str)), key=lambda c: (checked[c], c))
    n_small = len(out) - len(numeric)
    if n_small == 0 and numeric and dataset_total is not None:
        remainder = dataset_total - sum(checked.values())
        if remainder > 0 and isinstance(publish_computed_count(remainder, dataset_total=dataset_total, k=k), str):
            out[numeric.pop(0)] = SUPPRESSED  # the unshown remainder was the lone small cell
            n_small = 1
    if n_small == 1 and numeric:
        out[numeric.pop(0)] = SUPPRESSED
    return out


def publish_sex_breakdown(
    counts: Mapping[str, int], *, dataset_total: int | None, k: int | None = None
) -> dict[str, PublishedCount] | None:
    """A sex breakdown, or None (not shown) unless every category has at least k subjects (docs/privacy.md §2).

    Sex is binary-ish, so one small category is the total minus the other: suppression within the breakdown
    cannot hide it, and §2 says to show sex only when each category is at least k. Also None when the
    published breakdown would still contain a non-numeric cell (for example an unlisted remainder such as
    unknown sex is small), or when there is no category at all.
    """
    k = _resolve_k(k)
    published = publish_distribution(counts, dataset_total=dataset_total, k=k)
    if not published or any(value < k for value in counts.values()):
        return None
    if any(isinstance(value, str) for value in published.values()):
        return None
    return published


# --------------------------------------------------------------------------------------------------------------
# ages (§0.3, R14) and dates (R13)


def age_band(age_years: int | None) -> int | None:
    """Lower edge of the 5-year band holding the age (0, 5, ..., 85), or 90 for any age of 90 or more.

    Studies store bands, never ages (§0.3); ages above 89 are top-coded as "90+" (R14) because very old ages
    are rare enough to identify people.
    """
    if age_years is None:
        return None
    age_years = _check_count(age_years, "age")
    if age_years >= TOP_AGE_BAND:
        return TOP_AGE_BAND
    return age_years // _BAND_WIDTH * _BAND_WIDTH


def _check_band(band: Any) -> int:
    if isinstance(band, bool) or not isinstance(band, int) or not 0 <= band <= TOP_AGE_BAND or band % _BAND_WIDTH:
        raise DisclosureInputError(f"not an age band: {band!r}")
    return band


def age_band_label(band: int) -> str:
    """Human label of a band lower edge: "0-4", "85-89", "90+"."""
    band = _check_band(band)
    if band == TOP_AGE_BAND:
        return f"{TOP_AGE_BAND}+"
    return f"{band}-{band + _BAND_WIDTH - 1}"


_DICOM_AGE = re.compile(r"([0-9]{3})([DWMY])")


def parse_dicom_age(value: str) -> int | None:
    """Whole years from a DICOM Age String (VR AS: "045Y", "006M", "010W", "003D"); None when malformed.

    Months, weeks and days are floored to completed years (days over 365.25 per year), so "011M" is 0 and
    "013M" is 1. Surrounding blanks (DICOM padding) are ignored; anything else that is not exactly three digits
    and a unit is malformed and returns None, because a harvester must treat a broken age as unknown rather
    than guess.
    """
    if not isinstance(value, str):
        return None
    match = _DICOM_AGE.fullmatch(value.strip())
    if match is None:
        return None
    n, unit = int(match.group(1)), match.group(2)
    if unit == "Y":
        return n
    if unit == "M":
        return n // 12
    days = n * 7 if unit == "W" else n
    return days * 4 // 1461  # floor(days / 365.25)


def _check_age_pair(min_age: int | None, max_age: int | None) -> tuple[int | None, int | None]:
    min_age = None if min_age is None else _check_count(min_age, "min_age")
    max_age = None if max_age is None else _check_count(max_age, "max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise DisclosureInputError(f"min_age {min_age} is above max_age {max_age}")
    return min_age, max_age


def snap_age_range(min_age: int | None, max_age: int | None) -> tuple[int | None, int | None]:
    """Snap an age filter to band edges (§0.3), since studies only store bands.

    The minimum goes down to its band's lower edge (23 -> 20, 95 -> 90); the maximum goes up to its band's
    upper edge (67 -> 69). A maximum of 90 or more falls in the open "90+" band, so it becomes None: no upper
    bound. The snapped range always contains the requested one, and a study matches it exactly when its
    band lower edge lies in [min, max]. Callers must say in the API docs and on the page that ages snap.
    """
    min_age, max_age = _check_age_pair(min_age, max_age)
    lo = age_band(min_age)
    if max_age is None or max_age >= TOP_AGE_BAND:
        hi = None
    else:
        hi = age_band(max_age) + _BAND_WIDTH - 1  # type: ignore[operator]
    return lo, hi


def publish_age_range(min_age: int | None, max_age: int | None) -> tuple[str | None, str | None]:
    """The age range shown on a dataset page: band labels only ("20-24", "90+"), never exact ages (§2).

    Each bound is labelled on its own and an inverted pair is not an error here: this runs while rendering
    stored metadata, where a data holder's inconsistent range must not take a page down (catch it on ingest).
    """
    return (
        None if min_age is None else age_band_label(age_band(min_age)),  # type: ignore[arg-type]
        None if max_age is None else age_band_label(age_band(max_age)),  # type: ignore[arg-type]
    )


_YYYYMMDD = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YYYY = re.compile(r"[0-9]{4}")


def coarse_year(value: Any) -> int | None:
    """Only the year of a date (R13: the catalogue stores and publishes years, never full dates).

    Accepts date and datetime objects, "YYYYMMDD" (DICOM DA), "YYYY-MM-DD", a bare "YYYY" and an int year.
    Dates are validated (20231345 is not a date) so garbage never becomes a plausible year; anything else,
    including bools and floats, is None.
    """
    if isinstance(value, _dt.date):  # datetime is a subclass of date
        return value.year
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if _dt.MINYEAR <= value <= _dt.MAXYEAR else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _YYYYMMDD.fullmatch(text) or _ISO_DATE.fullmatch(text)
    if match is not None:
        try:
            return _dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))).year
        except ValueError:
            return None
    if _YYYY.fullmatch(text):
        year = int(text)
        return year if year >= _dt.MINYEAR else None
    return None
