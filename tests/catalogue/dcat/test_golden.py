"""The parse of every feed and example matches its pinned golden (tests/data/dcat_golden), and each quirk the
project's own feeds (tests/data/feeds) carry is read the way the parser promises.

The default set runs on the project's feeds and the official examples shipped in catalogue/dcat/shapes; the
third-party feeds (copyleft, not redistributed) form the interoperability set, marked `interop`.
Regenerate deliberately with `python -m tests.catalogue.dcat.regen_golden` and review the diff.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalogue.dcat.parser import RdfParseError, parse_rdf
from catalogue.descriptors import LangText
from config.paths import DCAT_AP_EXAMPLES_DIR, reference_dir
from tests.catalogue.dcat.golden import (
    COMBINED_JSONLD,
    COMBINED_TURTLE,
    GOLDEN_DIR,
    PROJECT_FEEDS_DIR,
    input_path,
    interop_cases,
    is_interop_golden,
    project_cases,
    project_inputs,
    reference_inputs,
    summarise,
)

PROJECT_CASES = project_cases()
INTEROP_CASES = interop_cases()
HDEU = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"
EUCAIM = "https://cancerimage.eu/ontology/EUCAIM#"


def _parse(name: str) -> Any:
    path = PROJECT_FEEDS_DIR / name
    fmt = {".rdf": "xml", ".ttl": "ttl", ".jsonld": "jsonld"}[path.suffix]
    return parse_rdf(path.read_bytes(), fmt, atlas_base_url="https://atlas.example.eu/")


def _codes(descriptor: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for warning in descriptor.warnings:
        out.setdefault(warning.field, []).append(warning.code)
    return out


# ------------------------------------------------------------------------------------------------ goldens


def test_every_project_feed_and_shipped_example_has_a_golden() -> None:
    feeds = [key for key in project_inputs() if key.startswith("tests/data/feeds/")]
    assert len(feeds) >= 12 and len(project_inputs()) >= len(feeds) + 6, project_inputs()
    project_goldens = sorted(p.name for p in GOLDEN_DIR.glob("*.json") if not is_interop_golden(p.name))
    assert project_goldens == sorted(name for name, _, _ in PROJECT_CASES)


@pytest.mark.parametrize(("name", "key", "offline"), PROJECT_CASES, ids=[name for name, _, _ in PROJECT_CASES])
def test_the_parse_matches_the_golden(name: str, key: str, offline: bool) -> None:
    golden = json.loads((GOLDEN_DIR / name).read_text(encoding="utf-8"))
    assert summarise(key, offline_context=offline) == golden


@pytest.mark.interop
def test_every_third_party_feed_of_the_reference_corpus_has_a_golden() -> None:
    corpus = reference_dir()
    assert corpus is not None
    found = reference_inputs(corpus)
    assert len(found) >= 15, f"reference corpus missing or incomplete: {corpus}"
    assert sorted(found) == sorted(key for _, key, _ in INTEROP_CASES)


@pytest.mark.interop
@pytest.mark.parametrize(("name", "key", "offline"), INTEROP_CASES, ids=[name for name, _, _ in INTEROP_CASES])
def test_the_parse_of_a_third_party_feed_matches_the_golden(name: str, key: str, offline: bool) -> None:
    golden = json.loads((GOLDEN_DIR / name).read_text(encoding="utf-8"))
    assert summarise(key, offline_context=offline) == golden


def test_the_interoperability_goldens_are_kept_without_a_corpus() -> None:
    """The interop cases come from the repository's goldens, so a clone without a corpus still lists them."""
    assert len(INTEROP_CASES) >= 15
    assert all(key.startswith(("feeds/", "shapes/healthdcat-ap/examples-ckanext-dcat/")) for _, key, _ in INTEROP_CASES)


# ------------------------------------------------------------------------------------- official examples


def test_the_turtle_syntax_error_is_a_typed_error_naming_line_and_column() -> None:
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(input_path(COMBINED_TURTLE).read_bytes(), "ttl")
    assert (raised.value.line, raised.value.code) == (32, "rdf_parse_error")
    assert raised.value.column is not None and "line 32" in raised.value.message


def test_a_remote_json_ld_context_is_a_clear_error_not_a_fetch() -> None:
    path = input_path(COMBINED_JSONLD)
    assert path.parent == DCAT_AP_EXAMPLES_DIR
    with pytest.raises(RdfParseError) as raised:
        parse_rdf(path.read_bytes(), "jsonld")
    assert raised.value.code == "remote_context_not_allowed"
    assert "semiceu.github.io" in raised.value.message


# ------------------------------------------------------------------------------- the project feeds' quirks


def test_the_feeds_readme_describes_every_feed() -> None:
    readme = (PROJECT_FEEDS_DIR / "README.md").read_text(encoding="utf-8")
    feeds = sorted(p.name for p in PROJECT_FEEDS_DIR.iterdir() if p.suffix != ".md")
    assert [name for name in feeds if f"`{name}`" not in readme] == []


def test_dcat_ap_2_terms_and_plain_literals_are_read() -> None:
    (d,) = _parse("dcat-ap2-dataset.ttl").descriptors
    assert d.title == (LangText("", "Breast MRI screening of high-risk women, 2014-2017"),)
    assert (d.version, d.acquisition_year_min, d.acquisition_year_max) == ("3", 2014, 2017)  # adms:version, schema:
    assert d.contact_points[0].email == "dados@lagoa-imaging.example"  # vcard:hasEmail as a plain literal
    assert d.doi == "10.99999/LAGOA.BREAST.2017"
    (dist,) = d.distributions
    assert (dist.format, dist.media_type, dist.byte_size) == ("TAR", "application/x-tar", 2_150_000_000)
    assert _codes(d) == {"distributions.format": ["literal_not_iri"], "distributions.byte_size": ["coerced_datatype"]}


def test_striped_rdf_xml_blank_agents_and_catalogue_records() -> None:
    result = _parse("nordlys-catalog.rdf")
    lung, colon = sorted(result.descriptors, key=lambda d: "colon" in d.guid)
    assert [d.guid.rsplit("/", 1)[1] for d in (lung, colon)] == ["lung-ct-screening", "colon-ct-colonography"]
    assert lung.publisher is not None and lung.publisher.iri == "" and lung.publisher.name == "Nordlys Imaging Archive"
    assert (lung.version, lung.acquisition_year_min, lung.acquisition_year_max) == ("2.1", 2012, 2018)  # owl:, http://schema.org/
    assert lung.issued == "2019-05-14"  # the dataset's own date, not its catalogue record's
    assert colon.contact_points[0].email == "datadesk@nordlys-imaging.example"  # rdf:parseType="Resource"
    assert _codes(lung)["languages"] == ["literal_not_iri", "literal_not_iri"]
    assert result.warnings == ()


def test_node_id_rdf_xml_greek_text_and_an_invalid_date() -> None:
    result = _parse("aegean-nodeid.rdf")
    pet, thorax = result.descriptors
    assert thorax.title[0] == LangText("el", "Αξονική τομογραφία θώρακα σε καρκίνο του πνεύμονα")
    assert thorax.publisher is not None and thorax.publisher.name == "Αρχείο Ιατρικής Απεικόνισης Αιγαίου"
    assert thorax.contact_points[0].email == "dedomena@aegean-imaging.example"
    assert (thorax.issued, thorax.modified) == ("", "2022-06-30")  # 2021-02-29 is not a date
    assert _codes(thorax) == {"spatial": ["blank_node_ignored"], "issued": ["invalid_datatype"]}
    assert pet.guid.endswith("/head-neck-pet-ct")  # typed only by the catalogue's dcat:dataset link
    assert result.warnings == ("1 linked dataset(s) not described in this document: skipped",)


def test_w3id_healthdcat_ap_with_blank_agents_maps_onto_the_official_namespace() -> None:
    (d,) = _parse("healthdcat-w3id-blank-agents.ttl").descriptors
    assert d.health_categories == (HDEU + "healthcategories/RQSH",)
    assert d.health_themes == (HDEU + "health-theme/CANCER_DISEASE",)
    assert (d.n_subjects, d.n_studies, d.min_age, d.max_age, d.has_structured_data) == (84, 97, 21, 83, False)
    assert d.hdab is not None and (d.hdab.iri, d.hdab.email) == ("", "access@hdab-rhine.example")
    assert d.custodian is not None and d.custodian.name == "Neuroradiology imaging service"
    assert d.issued == "2023-04-11"
    assert _codes(d) == {"dataset_types": ["blank_concept"], "health_themes": ["corrected_code"],
                         "code_values": ["iri_not_literal"]}


def test_named_nodes_http_w3id_and_hyperontology_terms_are_read() -> None:
    (d,) = _parse("healthdcat-named-nodes.ttl").descriptors
    assert d.publisher is not None and d.publisher.iri.endswith("/id/agent-network")
    assert d.publisher.contact_page == "https://baltic-paediatric-imaging.example/contact"
    assert d.health_categories == (HDEU + "healthcategories/RQSH",)  # acceptance host -> official host
    assert d.cancer_types == ("http://purl.obolibrary.org/obo/NCIT_C3270",)
    assert d.birth_sex == (EUCAIM + "COM1001366", EUCAIM + "COM1001370")
    assert d.collection_methods == (EUCAIM + "SPEC1000007",)
    assert d.tier == "https://atlas.example.eu/vocab/tier/2"
    assert (d.acquisition_year_min, d.acquisition_year_max, d.n_studies) == (2012, 2021, 112)


def test_multilingual_literals_keep_every_language_and_script() -> None:
    (d,) = _parse("healthdcat-multilingual.ttl").descriptors
    assert {t.lang for t in d.title} == {"en", "fr", "de", "el", "bg", "pl"}
    assert LangText("bg", "Мултипараметричен ЯМР на простатата") in d.title
    assert "προστάτης" in d.keywords and "простата" in d.keywords and "PI-RADS" in d.keywords
    assert d.version == "2"  # a language-tagged version string
    assert d.publisher is not None and d.publisher.name in {"Danube Oncology Imaging Consortium",
                                                            "Дунавски консорциум за онкологична образна диагностика"}


@pytest.mark.parametrize(("page1", "page2"), [
    ("hydra-paged-collection-1.jsonld", "hydra-paged-collection-2.jsonld"),
    ("hydra-partial-collection-1.jsonld", "hydra-partial-collection-2.jsonld"),
])
def test_both_hydra_paging_styles_give_the_next_page_and_the_last_page_none(page1: str, page2: str) -> None:
    first, last = _parse(page1), _parse(page2)
    assert first.next_page is not None and first.next_page.endswith("/catalog.jsonld?page=2")
    assert last.next_page is None
    assert (len(first.descriptors), len(last.descriptors)) == (3, 1)
    assert not {d.guid for d in first.descriptors} & {d.guid for d in last.descriptors}


def test_json_ld_with_a_graph_and_prefixed_keys_resolves_blank_node_ids() -> None:
    kidney, liver = _parse("catalog-at-graph.jsonld").descriptors
    assert kidney.contact_points == liver.contact_points and liver.contact_points[0].name == "Imaging data desk"
    assert liver.issued == "2022-03-01" and liver.distributions[0].byte_size == 1_850_361_344


def test_json_ld_nested_contexts_are_applied_per_object() -> None:
    meso, pet = _parse("catalog-nested-contexts.jsonld").descriptors
    assert pet.languages == ("http://publications.europa.eu/resource/authority/language/SPA",)
    assert pet.distributions[0].license == "http://publications.europa.eu/resource/authority/licence/CC_BYNC_4_0"
    assert (meso.acquisition_year_min, meso.acquisition_year_max) == (2010, 2019)
    assert _codes(meso) == {"acquisition_year_min+acquisition_year_max": ["literal_period"]}


def _contexts(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [c for item in value for c in _contexts(item)]
    if isinstance(value, dict):
        found = [value["@context"]] if "@context" in value else []
        return found + [c for key, item in value.items() if key != "@context" for c in _contexts(item)]
    return []


def test_the_project_json_ld_feeds_carry_their_contexts_inline() -> None:
    """Nothing remote: every @context is an object written in the feed (a URL would need a fetch)."""
    for path in sorted(PROJECT_FEEDS_DIR.glob("*.jsonld")):
        contexts = _contexts(json.loads(path.read_text(encoding="utf-8")))
        assert all(isinstance(c, dict) and "@import" not in c for c in contexts), path.name
