"""Shared fixtures: vocabularies loaded into the test database, sources, curators, descriptor factories."""

from __future__ import annotations

import sys

import pytest

from tests.factories import make_descriptor  # noqa: F401  (re-exported for tests)
from tests.standalone import RECORDER

# -- the repository stands alone: no test reads outside it (tests/standalone.py) ---------------------------------
sys.addaudithook(RECORDER)
_SESSION_READS: list[str] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    _SESSION_READS.extend(RECORDER.take())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):  # type: ignore[no-untyped-def]
    _SESSION_READS.extend(RECORDER.take())
    RECORDER.interop = item.get_closest_marker("interop") is not None
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):  # type: ignore[no-untyped-def]
    result = yield
    reads = RECORDER.take()
    RECORDER.interop = False
    if reads:
        pytest.fail(f"read outside the repository (the project must stand alone): {', '.join(reads[:5])}", pytrace=False)
    return result


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reads = _SESSION_READS + RECORDER.take()
    if reads:
        session.config.get_terminal_writer().line(
            f"FAILED: read outside the repository outside any test: {', '.join(sorted(set(reads))[:10])}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


@pytest.fixture(scope="session", autouse=True)
def _process_cache():  # type: ignore[no-untyped-def]
    """Run the suite on a per-process cache when the configured one is the embedded database cache.

    The database cache is a table, which tests without database access may not touch (not even to clear it);
    a test process is one process, so a local cache counts the same. tests/config/test_gunicorn.py checks the
    database cache across real server processes. Redis (CACHE_URL, the PostgreSQL leg of CI) is kept.
    """
    from django.conf import settings
    from django.test import override_settings

    if not settings.configured or settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.db.DatabaseCache":
        yield
        return
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        yield


@pytest.fixture(autouse=True)
def _clear_caches(_process_cache):  # type: ignore[no-untyped-def]
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


# ------------------------------------------------------------------------------------ interoperability set
# Tests marked `interop` read real third-party feeds (copyleft, not redistributed) from the reference corpus,
# config.paths.reference_dir(). Without a corpus they are skipped here, from one place (so `-rs` folds them into
# one line), and the terminal summary says so once. With a corpus they run, and a missing file fails them.
# The hooks have their own names (`specname`) so they never replace another hook of the same name in this file.

_INTEROP_COUNTS = pytest.StashKey[dict[str, int]]()
_INTEROP_NO_CORPUS = "no reference corpus (set ATLAS_REFERENCE_DIR)"


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_setup")
def pytest_interop_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("interop") is None:
        return
    from config.paths import reference_dir

    counts = item.config.stash.setdefault(_INTEROP_COUNTS, {"run": 0, "skipped": 0})
    if reference_dir() is None:
        counts["skipped"] += 1
        pytest.skip(f"interoperability set: {_INTEROP_NO_CORPUS}")
    counts["run"] += 1


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_interop_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    counts = config.stash.get(_INTEROP_COUNTS, None)
    if not counts:
        return
    from config.paths import reference_dir

    if counts["skipped"]:
        terminalreporter.write_line(f"interoperability set: {counts['skipped']} tests skipped: {_INTEROP_NO_CORPUS}")
    if counts["run"]:
        terminalreporter.write_line(f"interoperability set: {counts['run']} tests run on {reference_dir()}")
