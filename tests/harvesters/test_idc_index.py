"""The Imaging Data Commons harvester on the real index shipped in the idc-index-data package."""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest

from catalogue.models import Dataset, StudyFact
from catalogue.selectors import dataset_list_public
from harvesters.idc_index import load_terms, sanitise_description
from harvesters.models import JobStatus
from harvesters.services import harvest_job_create, harvest_job_run, harvest_source_add

pytestmark = pytest.mark.django_db

# Collections where IDC's collections_index subject count and its idc_index series table disagree, with the
# reason. Empty for idc-index-data 25.0.5: the test lists any new disagreement by name.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


def _index_dir() -> str:
    import idc_index_data

    return os.path.dirname(idc_index_data.IDC_INDEX_PARQUET_FILEPATH)


def _idc_tables():  # type: ignore[no-untyped-def]
    collections = {
        r["collection_id"]: r for r in pq.read_table(f"{_index_dir()}/collections_index.parquet").to_pylist()
    }
    series = pq.read_table(
        f"{_index_dir()}/idc_index.parquet", columns=["collection_id", "PatientID", "StudyInstanceUID", "instanceCount"]
    )
    return collections, series


def _harvest(**options):  # type: ignore[no-untyped-def]
    source = harvest_source_add(name="IDC", kind="idc_index", location="package", options=options, published=True)
    job = harvest_job_run(job_id=harvest_job_create(source=source).pk)
    assert job.status == JobStatus.COMPLETED, job.error_message
    return source, job


def test_both_idc_tables_agree_on_subjects_per_collection_except_known_cases():
    collections, series = _idc_tables()
    distinct = {
        r["collection_id"]: r["PatientID_count_distinct"]
        for r in series.group_by("collection_id").aggregate([("PatientID", "count_distinct")]).to_pylist()
    }
    disagreements = {
        cid: (collections[cid]["subjects"], distinct.get(cid))
        for cid in collections
        if collections[cid]["subjects"] != distinct.get(cid)
    }
    assert set(disagreements) == set(KNOWN_DISAGREEMENTS), (
        f"new disagreements (collections_index, idc_index): {disagreements}"
    )


def test_at_least_95_percent_of_cancer_collections_map_to_the_vocabulary(vocab):
    from catalogue.selectors import concept_resolve

    cancer_map, not_cancer, _ = load_terms()
    collections, _ = _idc_tables()
    cancer_collections = mapped = 0
    unmapped: set[str] = set()
    for c in collections.values():
        terms = [t.strip() for t in (c["cancer_types"] or "").split(",") if t.strip()]
        cancer_terms = [t for t in terms if t.casefold() not in not_cancer]
        if not cancer_terms:
            continue
        cancer_collections += 1
        ok = True
        for term in cancer_terms:
            codes = cancer_map.get(term.casefold()) or [term]
            if not all(concept_resolve(scheme="cancer-type", value=code) for code in codes):
                ok = False
                unmapped.add(term)
        mapped += ok
    assert cancer_collections > 150
    assert mapped / cancer_collections >= 0.95, f"unmapped terms: {sorted(unmapped)}"


def test_a_subset_harvest_maps_a_real_collection_faithfully(vocab):
    collections, series = _idc_tables()
    _, job = _harvest(collections=["4d_lung", "acrin_6698"])
    assert job.report["identified"] == 2 and job.report["datasets"]["created"] == 2
    lung = Dataset.objects.get(provenance_records__guid="4d_lung")
    assert lung.n_subjects == collections["4d_lung"]["subjects"] == 20
    import pyarrow.compute as pc

    rows = series.filter(pc.equal(series["collection_id"], "4d_lung"))
    assert lung.n_series == rows.num_rows
    assert lung.n_studies == len(set(rows["StudyInstanceUID"].to_pylist()))
    assert lung.n_instances == sum(rows["instanceCount"].to_pylist())
    assert {c.code for c in lung.cancer_types.all()} == {"nsclc"}
    assert {m.code for m in lung.modalities.all()} >= {"CT"}
    assert "LUNG" in {b.code for b in lung.body_parts.all()}
    assert lung.access_rights.code == "PUBLIC"
    assert lung.distributions.get().license.code == "CC_BY_3_0"
    assert lung.merged["doi"] == "10.7937/k9/tcia.2016.eln8ygle"
    assert StudyFact.objects.filter(dataset=lung).count() == lung.n_studies
    assert "<" not in lung.description.get("en", "")  # HTML stripped
    breast = Dataset.objects.get(provenance_records__guid="acrin_6698")
    assert {c.code for c in breast.cancer_types.all()} == {"breast-cancer"}
    assert breast.n_segmentations and breast.n_segmentations > 0


def test_the_whole_index_harvests_and_a_rerun_changes_nothing(vocab):
    collections, series = _idc_tables()
    source, job = _harvest()
    assert job.report["identified"] == len(collections) >= 170
    assert job.report["datasets"]["created"] == len(collections)
    assert Dataset.objects.count() == len(collections)
    assert dataset_list_public().count() == len(collections)
    assert sum(Dataset.objects.values_list("n_series", flat=True)) == series.num_rows
    studies = len(set(zip(series["collection_id"].to_pylist(), series["StudyInstanceUID"].to_pylist(), strict=True)))
    assert StudyFact.objects.count() == studies
    for dataset in Dataset.objects.all():
        cid = dataset.provenance_records.get().guid
        assert dataset.n_subjects == collections[cid]["subjects"], cid
    assert set(job.report["unmapped"]) <= {"cancer_types", "modalities", "tumor_locations"}
    before = dict(Dataset.objects.values_list("identifier", "content_hash"))
    again = harvest_job_run(job_id=harvest_job_create(source=source).pk)
    assert again.report["datasets"]["unchanged"] == len(collections)
    assert dict(Dataset.objects.values_list("identifier", "content_hash")) == before


def test_descriptions_are_sanitised():
    assert sanitise_description("<p>Lung &amp; <i>CT</i>\n data</p>") == "Lung & CT data"
