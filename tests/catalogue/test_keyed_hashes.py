"""Keyed hashes: purpose-salted keys derived from the secret (paths), or the dataset's own salt (subjects)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.test import override_settings

from catalogue.descriptors import StudyFactRecord
from catalogue.models import StudyFact
from catalogue.services import dataset_upsert, subject_hash
from harvesters.base import path_hash
from tests.factories import make_descriptor

OTHER_SECRET = "another-secret-key-with-enough-entropy-" * 2


def test_path_hashes_use_a_purpose_key_not_the_raw_secret(settings):
    path = "DOE_JOHN/IM0001.dcm"
    raw = hmac.new(settings.SECRET_KEY.encode(), path.encode(), hashlib.sha256).hexdigest()
    key = path_hash(path)
    assert len(key) == 64 and key != raw and key != hashlib.sha256(path.encode()).hexdigest()
    assert path_hash(path) == key  # stable for one secret
    with override_settings(SECRET_KEY=OTHER_SECRET):
        assert path_hash(path) != key


@pytest.mark.django_db
def test_subject_hashes_are_keyed_by_the_dataset_salt_and_survive_a_new_secret(vocab, source):
    """A re-harvest skips unchanged records, so their stored hashes stay: new ones must match them."""
    facts = (StudyFactRecord(subject_key="k-1"),)
    dataset = dataset_upsert(descriptor=make_descriptor("kh", study_facts=facts), source=source).dataset
    stored = StudyFact.objects.get(dataset=dataset).subject_hash
    assert stored == hmac.new(dataset.subject_salt.encode(), b"k-1", hashlib.sha256).hexdigest()
    with override_settings(SECRET_KEY=OTHER_SECRET):
        assert subject_hash(dataset=dataset, subject_key="k-1") == stored
        dataset_upsert(descriptor=make_descriptor("kh", study_facts=facts, version="2"), source=source)
    assert list(StudyFact.objects.filter(dataset=dataset).values_list("subject_hash", flat=True)) == [stored]
