"""Shared fixtures: vocabularies loaded into the test database, sources, curators, descriptor factories."""

from __future__ import annotations

import pytest

from tests.factories import make_descriptor  # noqa: F401  (re-exported for tests)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Load the shipped vocabularies once into the test database; each test's rollback keeps them."""
    from catalogue.vocabulary_loader import load_vocabularies

    with django_db_blocker.unblock():
        load_vocabularies()


@pytest.fixture
def vocab(db):  # type: ignore[no-untyped-def]
    """The shipped vocabularies (reloaded only after a transactional test flushed the tables)."""
    from catalogue.models import ConceptScheme
    from catalogue.vocabulary_loader import load_vocabularies

    if not ConceptScheme.objects.filter(slug="cancer-type").exists():
        load_vocabularies()


@pytest.fixture
def source(db):  # type: ignore[no-untyped-def]
    from catalogue.models import Source

    return Source.objects.create(slug="node-a", name="Hospital node A", kind="dicom_folder", priority=10, published=True)


@pytest.fixture
def other_source(db):  # type: ignore[no-untyped-def]
    from catalogue.models import Source

    return Source.objects.create(slug="feed-b", name="Partner feed B", kind="dcat_rdf", priority=50, published=True)


@pytest.fixture(autouse=True)
def _clear_caches():  # type: ignore[no-untyped-def]
    """Throttle counters live in the cache: start every test with an empty one."""
    from django.conf import settings

    if settings.configured:
        from django.core.cache import cache

        cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():  # type: ignore[no-untyped-def]
    """Production hashes static files at collectstatic time; tests serve them from the app folders."""
    from django.conf import settings
    from django.test import override_settings

    if not settings.configured:
        yield
        return
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        yield
