"""Canaries: a personal value planted in every attribute of the PS3.15 table (top level and nested), in free text,
private tags, objects and folder names. Every canary must be refused, and no planted value may reach anything
the harvester produces."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harvesters.base import HarvestContext
from harvesters.dicom_folder.deid_tables import shipped_rows
from harvesters.dicom_folder.gate import ACCEPTED, REFUSED, GatePolicy, check_file
from harvesters.dicom_folder.harvester import DicomFolderHarvester
from harvesters.dicom_folder.pool import GatePool
from tests.harvesters.dicom.canaries import (
    CANARY_OPTIONS,
    CanarySet,
    build_canary_folder,
    found_values,
    outputs_text,
)


@pytest.fixture(scope="module")
def canaries(tmp_path_factory: pytest.TempPathFactory) -> CanarySet:
    return build_canary_folder(tmp_path_factory.mktemp("canary-node") / "node")


@pytest.fixture(scope="module")
def verdicts(canaries: CanarySet) -> dict[str, Any]:
    policy = GatePolicy.from_options(CANARY_OPTIONS)
    return {c.rel: check_file(canaries.location / c.rel, policy) for c in canaries.cases if c.source != "folder"}


def _tag_text(keyword: str) -> str:
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})" if tag is not None else keyword


def test_one_canary_per_row_of_deid_tags_at_top_level_and_nested(canaries: CanarySet) -> None:
    rows = canaries.rows
    assert len(rows) == len(shipped_rows()) > 600
    from_rows = [c for c in canaries.cases if c.source == "deid-tags"]
    assert len(from_rows) == 2 * len(rows)
    assert sorted((c.keyword, c.nested) for c in from_rows) == sorted(
        (r.keyword, nested) for r in rows for nested in (False, True))


def test_the_baseline_without_a_canary_is_accepted(canaries: CanarySet) -> None:
    result = check_file(canaries.location / canaries.baseline_rel, GatePolicy.from_options(CANARY_OPTIONS))
    assert result.status == ACCEPTED, result.reasons


def test_every_canary_is_refused(canaries: CanarySet, verdicts: dict[str, Any]) -> None:
    not_refused = {c.name: verdicts[c.rel].status for c in canaries.cases
                   if c.source != "folder" and verdicts[c.rel].status != REFUSED}
    assert not_refused == {}


def test_each_attribute_canary_is_refused_because_of_that_attribute(canaries: CanarySet,
                                                                     verdicts: dict[str, Any]) -> None:
    """Refused for the planted element itself (its keyword or tag is named), not by accident."""
    unexplained = []
    for case in canaries.cases:
        if case.source != "deid-tags":
            continue
        names = {case.keyword, _tag_text(case.keyword)}
        if not any(set(reason.split(":")[1:2]) & names for reason in verdicts[case.rel].reasons):
            unexplained.append((case.name, verdicts[case.rel].reasons[:3]))
    assert unexplained == []


@pytest.mark.parametrize("family", ["r1", "r2", "r4", "r5", "r6", "r10", "r11", "r12", "r15", "r17"])
def test_rule_canaries_are_refused_by_their_rule(family: str, canaries: CanarySet, verdicts: dict[str, Any]) -> None:
    cases = [c for c in canaries.cases if c.source == family]
    assert cases
    for case in cases:
        families = {reason.split("_", 1)[0].split(":", 1)[0] for reason in verdicts[case.rel].reasons}
        assert family in families, (case.name, verdicts[case.rel].reasons)


@pytest.mark.django_db
def test_no_planted_value_leaves_the_harvester(
    vocab: None, canaries: CanarySet, settings: Any, make_context: Callable[..., HarvestContext],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """End to end (in-process gate): only the baseline is integrated, and no output carries a canary."""
    settings.ATLAS_HARVEST_FILE_ROOTS = [os.path.realpath(canaries.location)]
    context = make_context(canaries.location, options={**canaries.options, "workers": 0})
    items = list(DicomFolderHarvester(context).gather())

    assert context.counters.integrated == 1  # the baseline
    assert context.counters.refused["folder_name_identifying"] == 2
    assert sum(context.counters.refused.values()) == len(canaries.cases)
    descriptor = next(item.descriptor for item in items if item.descriptor is not None)
    assert descriptor.n_instances == 1

    produced = outputs_text(items, context.counters.as_dict(), context.state)
    assert found_values(produced, canaries.planted_values) == []
    assert found_values(produced, canaries.planted_names) == []
    # The node-local report lists refused paths (file names chosen by index, never a DICOM value).
    report = "\n".join(f"{path}\t{reason}" for path, reason in context.refused_paths)
    assert found_values(report, canaries.planted_values) == []
    assert {reason for _path, reason in context.refused_paths} >= {"folder_name_identifying"}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert found_values(logged, canaries.planted_values + canaries.planted_names) == []


def test_canaries_through_the_process_pool_match_the_in_process_verdicts(
    canaries: CanarySet, verdicts: dict[str, Any]
) -> None:
    """One end-to-end pass through worker processes, on a sample covering every rule family."""
    sample = [c for c in canaries.cases if c.source not in {"deid-tags", "folder"}]
    sample += [c for c in canaries.cases if c.source == "deid-tags"][::25]
    jobs = [(c.rel, str(canaries.location / c.rel)) for c in sample]
    with GatePool(GatePolicy.from_options(CANARY_OPTIONS), workers=2) as pool:
        pooled = dict(pool.map(jobs))
    assert pooled == {rel: verdicts[rel] for rel, _ in jobs}
    assert all(r.status == REFUSED for r in pooled.values())


def test_canary_files_are_named_without_planted_values(canaries: CanarySet) -> None:
    dicom_names = [Path(c.rel).name for c in canaries.cases if c.source != "folder"]
    assert found_values("\n".join(dicom_names), canaries.planted_values) == []


def test_the_leak_check_finds_a_planted_value_when_there_is_one(canaries: CanarySet) -> None:
    """The search the leak tests rely on is not vacuous: a copied value, re-cased or quoted, is found."""
    sample = [v for v in canaries.planted_values if v][:50]
    assert sample
    for value in sample:
        assert found_values(f'{{"description": "{value.upper()}"}}', [value]) == [value]
    assert found_values("19410201", ["1941020"]) == []  # a token, not a substring of a longer number
