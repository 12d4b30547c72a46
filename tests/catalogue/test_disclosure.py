"""Property tests of catalogue.disclosure, the one implementation of docs/privacy.md §0 and §2.

Most tests pass k explicitly so they do not depend on the environment; the get_k tests cover the default.
Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from catalogue import disclosure as d
from catalogue.disclosure import (
    SUPPRESSED,
    age_band,
    age_band_label,
    below_k_label,
    coarse_year,
    dataset_total_withheld,
    get_k,
    is_publishable,
    parse_dicom_age,
    publish_age_range,
    publish_cohort,
    publish_cohort_total,
    publish_computed_count,
    publish_dataset_total,
    publish_distribution,
    publish_sex_breakdown,
    snap_age_range,
)

K10 = 10
ks = st.sampled_from([1, 2, 3, 5, 6, 7, 10, 11, 20])
counts = st.integers(min_value=0, max_value=5_000)


@st.composite
def count_and_total(draw, k_strategy=ks):  # type: ignore[no-untyped-def]
    """(k, count, dataset_total or None) with count <= total, biased towards the interesting region near k."""
    k = draw(k_strategy)
    total = draw(st.none() | st.integers(0, 4 * k + 10) | st.integers(0, 5_000))
    if total is None:
        count = draw(st.integers(0, 4 * k + 10) | counts)
    else:
        count = draw(st.integers(0, total) | st.integers(max(0, total - 2 * k), total))
    return k, count, total


def is_small(value: object) -> bool:
    return isinstance(value, str)


def ceil5(k: int) -> int:
    return -(-k // 5) * 5


# --------------------------------------------------------------------------------------------------------------
# computed counts


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (9, 100, "<10"),
        (12, 100, 10),
        (13, 100, 15),
        (95, 100, "suppressed"),
        (90, 100, 90),
        (100, 100, 100),
        (0, None, "<10"),
        (0, 100, "<10"),
        (10, None, 10),
        (11, None, 10),
        (12, None, 10),
        (13, None, 15),
        (91, 100, "suppressed"),
        (99, 100, "suppressed"),
        (103, 103, 105),  # the full dataset: its exact total is public anyway
        # a dataset of k..2k-2 subjects: every count but the total is "suppressed" (see the docstring)
        (3, 15, "suppressed"),
        (11, 15, "suppressed"),
        (15, 15, 15),
        (5, 12, "suppressed"),
        # 2k-1 and up: "<k" again
        (9, 19, "<10"),
        (10, 19, "suppressed"),
        (10, 20, 10),
        (3, 5, "<10"),  # dataset below k: its total is "<10" too
    ],
)
def test_computed_count_examples(count: int, total: int | None, expected: object) -> None:
    assert publish_computed_count(count, dataset_total=total, k=K10) == expected


@given(count_and_total())
@example((10, 9, 100)).via("explicit")
def test_computed_count_shape_and_truth(args: tuple[int, int, int | None]) -> None:
    k, count, total = args
    out = publish_computed_count(count, dataset_total=total, k=k)
    assert out == publish_computed_count(count, dataset_total=total, k=k)  # deterministic
    assert is_publishable(out, k=k)
    assert type(out) in (int, str)
    if isinstance(out, str):
        assert out in (below_k_label(k), SUPPRESSED)
        if out == below_k_label(k):
            assert count < k  # the label is true
    else:
        assert out % 5 == 0
        assert out >= k  # never an exact (or rounded) number below k
        assert count >= k
        if k % 5 == 0:
            assert abs(out - count) <= 2
        else:
            assert abs(out - count) <= 4
            if abs(out - count) > 2:
                assert out == ceil5(k)
    if count < k:
        assert is_small(out)
    if total is not None and total >= k and 1 <= total - count <= k - 1:
        assert out == SUPPRESSED  # complement rule
    if total is None and count >= k:
        assert not is_small(out)


@given(ks, st.none() | st.integers(0, 300), st.data())
def test_computed_count_monotonic_among_numeric(k: int, total: int | None, data: st.DataObject) -> None:
    top = 300 if total is None else total
    a = data.draw(st.integers(0, top))
    b = data.draw(st.integers(a, top))
    pa = publish_computed_count(a, dataset_total=total, k=k)
    pb = publish_computed_count(b, dataset_total=total, k=k)
    if isinstance(pa, int) and isinstance(pb, int):
        assert pa <= pb


@given(st.integers(1, 25), st.integers(0, 150))
def test_every_label_leaves_at_least_k_minus_1_candidates(k: int, extra: int) -> None:
    """Given the exact dataset total, no small label pins the count down (the D = k+1 trap)."""
    total = k + extra
    by_label: dict[object, list[int]] = defaultdict(list)
    for x in range(total + 1):
        by_label[publish_computed_count(x, dataset_total=total, k=k)].append(x)
    for label, xs in by_label.items():
        if isinstance(label, str):
            assert len(xs) >= k - 1, (label, xs)


def test_small_dataset_labels_do_not_disclose() -> None:
    # D = 11: if "<10" won, "suppressed" would mean exactly 10; if "suppressed" won, "<10" would mean 0 or 1.
    labels = {x: publish_computed_count(x, dataset_total=11, k=10) for x in range(12)}
    assert set(labels.values()) == {SUPPRESSED, 11 // 5 * 5}
    assert labels[11] == 10


# --------------------------------------------------------------------------------------------------------------
# dataset totals


@given(ks, st.none() | counts)
def test_dataset_total(k: int, n: int | None) -> None:
    out = publish_dataset_total(n, k=k)
    if n is None:
        assert out is None
        assert dataset_total_withheld(n, k=k) is False
    elif n >= k:
        assert out == n  # exact
        assert dataset_total_withheld(n, k=k) is False
    else:
        assert out == below_k_label(k)
        assert dataset_total_withheld(n, k=k) is True
    if out is not None:
        assert is_publishable(out, k=k)


def test_dataset_total_examples() -> None:
    assert publish_dataset_total(9, k=10) == "<10"
    assert publish_dataset_total(0, k=10) == "<10"
    assert publish_dataset_total(10, k=10) == 10
    assert publish_dataset_total(123, k=10) == 123
    assert publish_dataset_total(None, k=10) is None
    assert below_k_label(10) == "<10"


# --------------------------------------------------------------------------------------------------------------
# invalid input


@pytest.mark.parametrize(
    "call",
    [
        lambda: publish_computed_count(11, dataset_total=10, k=10),
        lambda: publish_computed_count(-1, dataset_total=None, k=10),
        lambda: publish_computed_count(5, dataset_total=-3, k=10),
        lambda: publish_computed_count(True, dataset_total=None, k=10),
        lambda: publish_computed_count(1, dataset_total=True, k=10),
        lambda: publish_computed_count(12.0, dataset_total=None, k=10),  # type: ignore[arg-type]
        lambda: publish_computed_count("12", dataset_total=None, k=10),  # type: ignore[arg-type]
        lambda: publish_computed_count(5, dataset_total=None, k=0),
        lambda: publish_computed_count(5, dataset_total=None, k=True),
        lambda: publish_dataset_total(-1, k=10),
        lambda: publish_dataset_total(False, k=10),
        lambda: publish_dataset_total(9.5, k=10),  # type: ignore[arg-type]
        lambda: dataset_total_withheld(-2, k=10),
        lambda: dataset_total_withheld(True, k=10),
        lambda: publish_cohort_total([(11, 10)], k=10),
        lambda: publish_cohort_total([(-1, None)], k=10),
        lambda: publish_cohort_total([(True, None)], k=10),
        lambda: publish_cohort_total([(3,)], k=10),  # type: ignore[list-item]
        lambda: publish_distribution({"F": 60, "M": 50}, dataset_total=100, k=10),
        lambda: publish_distribution({"F": -1}, dataset_total=None, k=10),
        lambda: publish_distribution({"F": True}, dataset_total=None, k=10),
        lambda: age_band(-1),
        lambda: age_band(True),
        lambda: age_band_label(7),
        lambda: age_band_label(95),
        lambda: snap_age_range(50, 40),
        lambda: snap_age_range(-5, None),
        lambda: publish_age_range(-1, 40),
        lambda: publish_age_range(None, True),
        lambda: below_k_label(0),
    ],
)
def test_invalid_input_raises_value_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------------------------------------------
# distributions within a dataset


@st.composite
def distributions(draw):  # type: ignore[no-untyped-def]
    k = draw(st.sampled_from([5, 10, 11]))
    keys = draw(
        st.lists(st.sampled_from(["F", "M", "O", "U", "0", "5", "85", "90"]), min_size=1, max_size=6, unique=True)
    )
    values = {key: draw(st.integers(0, 3 * k) | st.integers(0, 400)) for key in keys}
    remainder = draw(st.none() | st.integers(0, 3 * k) | st.just(0))
    total = None if remainder is None else sum(values.values()) + remainder
    return k, values, total


@given(distributions())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_distribution_secondary_suppression(args) -> None:  # type: ignore[no-untyped-def]
    k, values, total = args
    out = publish_distribution(values, dataset_total=total, k=k)
    assert list(out) == list(values)
    assert out == publish_distribution(dict(reversed(list(values.items()))), dataset_total=total, k=k)
    for key, cell in out.items():
        assert is_publishable(cell, k=k)
        primary = publish_computed_count(values[key], dataset_total=total, k=k)
        assert cell == primary or cell == SUPPRESSED
    small = [key for key, cell in out.items() if is_small(cell)]
    if len(out) >= 2:
        # no single small cell is recoverable from the public total by subtraction
        assert len(small) != 1
    # at most two extra cells are suppressed, always the smallest numeric ones, and only to protect a lone
    # small cell (shown, or the unshown remainder D - sum)
    primary = {key: publish_computed_count(values[key], dataset_total=total, k=k) for key in values}
    extra = [key for key in out if out[key] != primary[key]]
    assert len(extra) <= 2
    numeric_before = sorted(values[key] for key in values if not is_small(primary[key]))
    assert sorted(values[key] for key in extra) == numeric_before[: len(extra)]
    n_small_before = len(values) - len(numeric_before)
    remainder_small = (
        total is not None
        and total > sum(values.values())
        and is_small(publish_computed_count(total - sum(values.values()), dataset_total=total, k=k))
    )
    if n_small_before >= 2 or (n_small_before == 0 and not remainder_small):
        assert extra == []


def test_distribution_examples() -> None:
    assert publish_distribution({"F": 50, "M": 42, "U": 8}, dataset_total=100, k=10) == {
        "F": 50,
        "M": "suppressed",
        "U": "<10",
    }
    assert publish_distribution({"F": 50, "M": 50}, dataset_total=100, k=10) == {"F": 50, "M": 50}
    # the unshown remainder (5 of unknown sex) is the lone small cell: the two smallest shown cells go, so
    # neither it nor a single shown cell is recoverable by subtraction
    assert publish_distribution({"F": 50, "M": 45}, dataset_total=100, k=10) == {"F": SUPPRESSED, "M": SUPPRESSED}
    assert publish_distribution({"F": 50, "M": 45, "O": 30}, dataset_total=130, k=10) == {
        "F": 50,
        "M": "suppressed",
        "O": "suppressed",
    }
    # ties: the first key in sorted order
    assert publish_distribution({"b": 40, "a": 40, "c": 3}, dataset_total=83, k=10) == {
        "b": 40,
        "a": "suppressed",
        "c": "<10",
    }
    assert publish_distribution({}, dataset_total=100, k=10) == {}


@given(distributions())
def test_sex_breakdown_only_when_every_category_reaches_k(args) -> None:  # type: ignore[no-untyped-def]
    k, values, total = args
    out = publish_sex_breakdown(values, dataset_total=total, k=k)
    if any(v < k for v in values.values()):
        assert out is None
    if out is not None:
        assert all(isinstance(v, int) and v >= k for v in out.values())
        assert out == publish_distribution(values, dataset_total=total, k=k)


def test_sex_breakdown_examples() -> None:
    assert publish_sex_breakdown({"F": 50, "M": 50}, dataset_total=100, k=10) == {"F": 50, "M": 50}
    assert publish_sex_breakdown({"F": 91, "M": 9}, dataset_total=100, k=10) is None
    assert publish_sex_breakdown({"F": 50, "M": 45}, dataset_total=100, k=10) is None  # 5 unknown
    assert publish_sex_breakdown({"F": 50, "M": 45}, dataset_total=None, k=10) == {"F": 50, "M": 45}
    assert publish_sex_breakdown({}, dataset_total=100, k=10) is None


# --------------------------------------------------------------------------------------------------------------
# cohort totals


def _observer_values(total: int | None, k: int) -> range:
    """Counts an observer must consider for a dataset: 0..D, or 0..k-1 when D is published as "<k"."""
    return range(0, (k - 1 if total is None or total < k else total) + 1)


def _check_no_narrowing(totals: list[int | None], k: int) -> None:
    """Publish every possible count vector; each published result must leave every small cell its full range.

    An observer sees the cells, the total and the public dataset totals. Group all count vectors by what is
    published; within a group, each small cell must take every value its own label allows.
    """
    groups: dict[tuple[object, ...], list[tuple[int, ...]]] = defaultdict(list)
    for xs in itertools.product(*(_observer_values(t, k) for t in totals)):
        result = publish_cohort(list(zip(xs, totals, strict=True)), k=k)
        groups[(result.cells, result.total)].append(xs)
    for (cells, _total), vectors in groups.items():
        for j, cell in enumerate(cells):
            if not is_small(cell):
                continue
            allowed = {
                x
                for x in _observer_values(totals[j], k)
                if publish_computed_count(x, dataset_total=totals[j], k=k) == cell
            }
            assert {v[j] for v in vectors} == allowed, (totals, cells, _total, j)


@given(
    st.sampled_from([3, 5, 6, 7, 10, 11]),
    st.data(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_cohort_total_never_narrows_a_small_cell(k: int, data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 3))
    top = 2 * k + 8 if n < 3 else 2 * k + 2
    totals = data.draw(st.lists(st.none() | st.integers(k - 1, top), min_size=n, max_size=n))
    _check_no_narrowing(totals, k)


@pytest.mark.parametrize(
    "totals", [[100, 100], [None, 100], [15, 40], [11, 11], [19, 20], [12, 30, None], [25, 25, 25]]
)
def test_cohort_total_never_narrows_examples(totals: list[int | None]) -> None:
    _check_no_narrowing(totals, 10)


def test_cohort_total_counterexamples_of_plain_rounding() -> None:
    # 9 + 9: a plain rounded total of 20 could only mean 18, i.e. both cells exactly 9.
    assert publish_cohort_total([(9, 100), (9, 100)], k=10) == SUPPRESSED
    # cells 15 (truly 17) and "<10": the total must be the same whatever the small cell is.
    assert len({publish_cohort_total([(17, 100), (x, 100)], k=10) for x in range(10)}) == 1
    # a cohort over many datasets with almost no matches stays accurate
    result = publish_cohort([(0, 100)] * 50 + [(40, 200)], k=10)
    assert result.cells[-1] == 40 and result.total == 40
    assert publish_cohort_total([(3, 100)] * 20, k=10) == 60
    assert publish_cohort_total([], k=10) == "<10"
    assert publish_cohort_total([(4, None)], k=10) == "<10"
    assert publish_cohort_total([(95, 100)], k=10) == SUPPRESSED
    assert publish_cohort_total([(40, 100), (52, None)], k=10) == 90


@st.composite
def cohorts(draw):  # type: ignore[no-untyped-def]
    k = draw(st.sampled_from([1, 3, 5, 6, 10, 11]))
    rows = []
    for _ in range(draw(st.integers(0, 30))):
        total = draw(st.none() | st.integers(0, 300))
        top = 300 if total is None else total
        count = draw(st.integers(0, min(top, 2 * k)) | st.integers(0, top))
        rows.append((count, total))
    return k, rows


@given(cohorts())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_cohort_total_shape_truth_and_accuracy(args) -> None:  # type: ignore[no-untyped-def]
    k, rows = args
    result = publish_cohort(rows, k=k)
    assert result == publish_cohort(rows, k=k)
    assert result.total == publish_cohort_total(rows, k=k)
    assert result.cells == tuple(publish_computed_count(c, dataset_total=t, k=k) for c, t in rows)
    exact = sum(c for c, _ in rows)
    total = result.total
    assert is_publishable(total, k=k)
    if total == below_k_label(k):
        assert exact < k
    if isinstance(total, int):
        assert total % 5 == 0 and total >= k and exact >= k
        if not any(is_small(c) for c in result.cells):
            assert total == publish_computed_count(exact, dataset_total=None, k=k)
        else:
            widest = max(
                d._feasible_range(c, t if t is not None and t >= k else None, k)[1]
                - d._feasible_range(c, t if t is not None and t >= k else None, k)[0]
                for c, t in zip(result.cells, (t for _, t in rows), strict=True)
                if is_small(c)
            )
            assert abs(total - exact) <= widest + 4
    if total == SUPPRESSED:
        assert any(is_small(c) for c in result.cells)


# --------------------------------------------------------------------------------------------------------------
# ages and years


@given(st.integers(0, 200))
def test_age_band_properties(age: int) -> None:
    band = age_band(age)
    assert band is not None and band % 5 == 0 and 0 <= band <= 90
    if age >= 90:
        assert band == 90
    else:
        assert band <= age < band + 5
    label = age_band_label(band)
    assert label == ("90+" if band == 90 else f"{band}-{band + 4}")


def test_age_band_examples() -> None:
    assert age_band(None) is None
    assert [age_band(a) for a in (0, 4, 5, 89, 90, 104)] == [0, 0, 5, 85, 90, 90]
    assert [age_band_label(b) for b in (0, 85, 90)] == ["0-4", "85-89", "90+"]


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("045Y", 45),
        ("000Y", 0),
        ("102Y", 102),
        ("006M", 0),
        ("011M", 0),
        ("013M", 1),
        ("030M", 2),
        ("010W", 0),
        ("052W", 0),
        ("053W", 1),
        ("003D", 0),
        ("364D", 0),
        ("366D", 1),
        ("045Y ", 45),
        ("45Y", None),
        ("045", None),
        ("045y", None),
        ("045A", None),
        ("0450Y", None),
        ("", None),
        ("-45Y", None),
        ("4.5Y", None),
        (None, None),
        (45, None),
    ],
)
def test_parse_dicom_age(value: object, years: int | None) -> None:
    assert parse_dicom_age(value) == years  # type: ignore[arg-type]


@given(st.text(max_size=6))
def test_parse_dicom_age_never_crashes(value: str) -> None:
    out = parse_dicom_age(value)
    assert out is None or (isinstance(out, int) and 0 <= out <= 999)


@given(st.none() | st.integers(0, 130), st.none() | st.integers(0, 130))
def test_snap_age_range(lo: int | None, hi: int | None) -> None:
    assume(lo is None or hi is None or lo <= hi)
    s_lo, s_hi = snap_age_range(lo, hi)
    if lo is None:
        assert s_lo is None
    else:
        assert s_lo == age_band(lo) and s_lo <= lo and s_lo % 5 == 0
    if hi is None or hi >= 90:
        assert s_hi is None  # the open 90+ band: no upper bound
    else:
        assert s_hi is not None and hi <= s_hi and (s_hi + 1) % 5 == 0 and s_hi <= 89
    # a band matches the snapped filter exactly when some age in it matched the requested one
    for band in range(0, 95, 5):
        ages = range(band, band + 5) if band < 90 else range(90, 131)
        requested = any((lo is None or a >= lo) and (hi is None or a <= hi) for a in ages)
        snapped = (s_lo is None or band >= s_lo) and (s_hi is None or band <= s_hi)
        assert requested == snapped


def test_snap_and_publish_age_range_examples() -> None:
    assert snap_age_range(23, 67) == (20, 69)
    assert snap_age_range(95, None) == (90, None)
    assert snap_age_range(None, 89) == (None, 89)
    assert snap_age_range(None, None) == (None, None)
    assert publish_age_range(23, 67) == ("20-24", "65-69")
    assert publish_age_range(2, 95) == ("0-4", "90+")
    assert publish_age_range(None, None) == (None, None)
    assert publish_age_range(67, 23) == ("65-69", "20-24")  # stored data is shown, not validated, here


@given(st.none() | st.integers(0, 130), st.none() | st.integers(0, 130))
def test_publish_age_range_never_exact(lo: int | None, hi: int | None) -> None:
    assume(lo is None or hi is None or lo <= hi)
    labels = publish_age_range(lo, hi)
    valid = {age_band_label(b) for b in range(0, 95, 5)}
    for age, label in zip((lo, hi), labels, strict=True):
        assert (label is None) == (age is None)
        if label is not None:
            assert label in valid


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (dt.date(2019, 5, 17), 2019),
        (dt.datetime(2001, 1, 2, 3, 4, tzinfo=dt.UTC), 2001),
        ("20190517", 2019),
        ("2019-05-17", 2019),
        (" 20190517 ", 2019),
        ("2019", 2019),
        (2019, 2019),
        ("20191345", None),
        ("2019-02-30", None),
        ("201905", None),
        ("17/05/2019", None),
        ("", None),
        ("2019-05-17T10:00", None),
        (True, None),
        (2019.0, None),
        (None, None),
        (0, None),
        (-5, None),
        (b"20190517", None),
        ("abcd", None),
    ],
)
def test_coarse_year(value: object, year: int | None) -> None:
    assert coarse_year(value) == year


@given(st.dates())
def test_coarse_year_of_any_date(value: dt.date) -> None:
    assert coarse_year(value) == value.year
    assert coarse_year(f"{value.year:04d}{value.month:02d}{value.day:02d}") == value.year
    assert coarse_year(value.isoformat()) == value.year


# --------------------------------------------------------------------------------------------------------------
# JSON shape


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (10, True),
        (15, True),
        (123, True),
        ("<10", True),
        ("suppressed", True),
        (9, False),
        (0, False),
        (-5, False),
        (True, False),
        (False, False),
        (10.0, False),
        ("<5", False),
        ("10", False),
        (None, False),
        ("Suppressed", False),
    ],
)
def test_is_publishable(value: object, ok: bool) -> None:
    assert is_publishable(value, k=10) is ok


# --------------------------------------------------------------------------------------------------------------
# the threshold from settings


def test_get_k_has_no_fallback_of_its_own_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # A silent default must never decide what gets published: unconfigured settings are an error.
    import django.conf
    from django.core.exceptions import ImproperlyConfigured

    class Unconfigured:
        def __getattr__(self, name: str) -> object:
            raise ImproperlyConfigured("settings are not configured")

    monkeypatch.setattr(django.conf, "settings", Unconfigured())
    with pytest.raises(ImproperlyConfigured):
        get_k()
    with pytest.raises(ImproperlyConfigured):
        publish_computed_count(9, dataset_total=None)
    monkeypatch.setattr(django.conf, "settings", SimpleNamespace())
    with pytest.raises(AttributeError):
        get_k()


def test_get_k_reads_the_setting_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    import django.conf

    monkeypatch.setattr(django.conf, "settings", SimpleNamespace(ATLAS_DISCLOSURE_K=20))
    assert get_k() == 20
    assert publish_computed_count(19, dataset_total=None) == "<20"
    assert publish_computed_count(20, dataset_total=None) == 20
    assert publish_dataset_total(15) == "<20"
    assert dataset_total_withheld(15) is True
    assert is_publishable(15) is False
    assert publish_cohort_total([(19, None)]) == "<20"


@pytest.mark.parametrize("bad", [0, -1, True, "10", 10.0])
def test_get_k_rejects_invalid_settings(monkeypatch: pytest.MonkeyPatch, bad: object) -> None:
    import django.conf
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setattr(django.conf, "settings", SimpleNamespace(ATLAS_DISCLOSURE_K=bad))
    with pytest.raises(ImproperlyConfigured):
        get_k()


def test_get_k_with_pytest_django_settings(request: pytest.FixtureRequest) -> None:
    try:
        django_settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        pytest.skip("pytest-django is not active")
    django_settings.ATLAS_DISCLOSURE_K = 7
    assert get_k() == 7
    assert publish_computed_count(6, dataset_total=None) == "<7"


# --------------------------------------------------------------------------------------------------------------
# the small-dataset rule (§0.1) and cohort counts (§0.4)


def test_a_small_dataset_withholds_what_describes_its_people() -> None:
    small = d.publish_dataset_figures(n_subjects=1, n_studies=1, n_series=3, n_instances=300, n_bytes=10**6,
                                      sexes=["F"], min_age=93, max_age=93, year_min=2019, year_max=2019, k=10)
    assert small.small and small.subjects == "<10" and small.studies == "<10"
    assert (small.sexes, small.min_age, small.max_age, small.age_band_min, small.year_min, small.year_max) == (
        (), None, None, None, None, None)
    assert (small.series, small.instances, small.bytes) == (3, 300, 10**6)  # they describe images
    many_studies = d.publish_dataset_figures(n_subjects=1, n_studies=1378, k=10)
    assert many_studies.small and many_studies.studies == 1378
    large = d.publish_dataset_figures(n_subjects=10, n_studies=12, sexes=["M", "F", "F"], min_age=23, max_age=97,
                                      year_min=2015, year_max=2020, k=10)
    assert not large.small and large.subjects == 10 and large.studies == 12 and large.sexes == ("F", "M")
    assert (large.min_age, large.max_age, large.year_min, large.year_max) == ("20-24", "90+", 2015, 2020)
    assert d.publish_dataset_figures(n_subjects=None, n_studies=4, k=10).small  # no subject total: by studies
    assert not d.publish_dataset_figures(n_subjects=None, n_studies=None, k=10).small


@given(ks, st.none() | counts, st.none() | counts)
def test_dataset_figures_publish_no_exact_small_total(k: int, subjects: int | None, studies: int | None) -> None:
    figures = d.publish_dataset_figures(n_subjects=subjects, n_studies=studies, sexes=["F"], min_age=40, k=k)
    for value in (figures.subjects, figures.studies):
        assert value is None or is_publishable(value, k=k)
    if figures.small:
        assert figures.sexes == () and figures.min_age is None and figures.year_min is None


def test_cohort_eligibility_uses_published_figures_and_the_fact_population_only() -> None:
    assert d.cohort_eligible(n_subjects=10, n_studies=10, fact_subjects=10, k=10)
    assert not d.cohort_eligible(n_subjects=9, n_studies=500, fact_subjects=9, k=10)
    assert not d.cohort_eligible(n_subjects=500, n_studies=900, fact_subjects=4, k=10)
    assert not d.cohort_eligible(n_subjects=None, n_studies=5, fact_subjects=30, k=10)
    assert d.cohort_eligible(n_subjects=None, n_studies=None, fact_subjects=30, k=10)


def test_a_cohort_cell_is_published_against_its_declared_total_only_when_consistent() -> None:
    assert d.cohort_dataset_total(declared=100, observed=100) == 100
    assert d.cohort_dataset_total(declared=100, observed=60) == 100
    assert d.cohort_dataset_total(declared=50, observed=60) is None
    assert d.cohort_dataset_total(declared=None, observed=60) is None


def test_cohort_counts_publish_subjects_and_studies_each_with_their_own_total() -> None:
    answer = d.publish_cohort_counts([(40, 43, 80, 90), (12, 12, 30, 30), (3, 100, 40, 200)], k=10)
    assert answer.subjects == ("suppressed", 10, "<10")
    assert answer.studies == (80, 30, 40)
    assert answer.subjects + (answer.total_subjects,) == publish_cohort([(40, 43), (12, 12), (3, 100)], k=10).cells + (
        publish_cohort_total([(40, 43), (12, 12), (3, 100)], k=10),)
    assert answer.total_studies == publish_cohort_total([(80, 90), (30, 30), (40, 200)], k=10)
    with pytest.raises(ValueError, match="cannot hold"):
        d.publish_cohort_counts([(5, 10, 4, 10)], k=10)
    with pytest.raises(ValueError):
        d.publish_cohort_counts([(5, 10, 6)], k=10)  # type: ignore[list-item]


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 7, 10, 11, 20])
def test_feasible_range_of_large_labels_matches_brute_force(k: int) -> None:
    for label_count in (d._smallest_published_int(k), d._smallest_published_int(k) + 5, 20_000):
        for total in (None, 20_003, 25_000):
            label = publish_computed_count(label_count, dataset_total=total, k=k)
            if label != label_count:
                continue
            values = [x for x in range(0, (total or 25_000) + 1)
                      if publish_computed_count(x, dataset_total=total, k=k) == label]
            assert d._feasible_range(label, total, k) == (values[0], values[-1], len(values) == values[-1] - values[0] + 1)
