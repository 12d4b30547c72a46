"""Loading the vocabularies into the database: complete, idempotent, resolvable, acyclic."""

from __future__ import annotations

import pytest

from catalogue.models import Concept, ConceptKey, ConceptScheme
from catalogue.selectors import concept_descendants, concept_resolve
from catalogue.services import dataset_upsert
from catalogue.vocabulary_loader import load_vocabularies
from tests.factories import make_descriptor

pytestmark = pytest.mark.django_db

REQUIRED_SCHEMES = {
    "cancer-type", "modality", "body-part", "access-right", "data-theme", "file-type", "country", "language",
    "licence", "frequency", "health-category", "health-theme", "tier", "collection-method", "dataset-type", "sex",
    "species",
}


def _snapshot():  # type: ignore[no-untyped-def]
    return sorted(
        Concept.objects.values_list("scheme__slug", "code", "iri", "label", "parent__code", "synonyms", "alt_iris")
    ), ConceptKey.objects.count()


def test_every_required_scheme_loads_and_every_concept_has_a_code_and_an_iri(vocab):
    assert REQUIRED_SCHEMES <= set(ConceptScheme.objects.values_list("slug", flat=True))
    assert not Concept.objects.filter(code="").exists()
    assert not Concept.objects.filter(iri="").exists()
    assert Concept.objects.filter(scheme__slug="cancer-type").count() >= 40


def test_a_second_load_changes_nothing(vocab):
    before = _snapshot()
    report = load_vocabularies()
    assert report.created == 0 and report.updated == 0
    assert _snapshot() == before


def test_parents_form_no_cycles(vocab):
    for concept in Concept.objects.select_related("parent"):
        seen, node = set(), concept
        while node is not None:
            assert node.pk not in seen, f"cycle through {concept}"
            seen.add(node.pk)
            node = node.parent


def test_synonyms_codes_and_iris_resolve_to_the_same_concept(vocab):
    nsclc = concept_resolve(scheme="cancer-type", value="NSCLC")
    assert nsclc is not None
    assert concept_resolve(scheme="cancer-type", value=nsclc.iri) == nsclc
    assert concept_resolve(scheme="cancer-type", value="  nsclc ") == nsclc
    lung = nsclc.parent
    assert lung is not None and nsclc in concept_descendants(concept=lung)
    assert concept_resolve(scheme="modality", value="CT").label
    assert concept_resolve(scheme="modality", value="not-a-modality") is None


def test_our_own_iris_are_minted_under_the_base_url(vocab, settings):
    ours = Concept.objects.filter(iri__startswith="https://atlas.example.eu/")
    assert not ours.exists()


def test_an_external_concept_is_adopted_when_the_vocabulary_lists_it(vocab, source):
    ct = Concept.objects.get(scheme__slug="modality", code="CT")
    iri, label = ct.iri, ct.label
    ct_keys = list(ConceptKey.objects.filter(concept=ct).values_list("key", flat=True))
    ConceptKey.objects.filter(concept=ct).delete()
    ct.delete()
    dataset = dataset_upsert(descriptor=make_descriptor("ext", modalities=(iri,)), source=source).dataset
    external = Concept.objects.get(iri=iri)
    assert external.is_external
    load_vocabularies()
    adopted = Concept.objects.get(iri=iri)
    assert adopted.pk == external.pk and not adopted.is_external and adopted.label == label
    assert adopted in dataset.modalities.all()
    assert set(ct_keys) <= set(ConceptKey.objects.filter(concept=adopted).values_list("key", flat=True))
