"""The one accessor for the atlas's own settings: `from config.app_settings import app_settings`.

config/settings.py reads every value from the environment (with its default, checked loudly); this module gives the
rest of the code typed access to the atlas's settings, read from `django.conf.settings` on every access, so
`override_settings` and pytest-django's `settings` fixture apply at once. There is no fallback for settings that
are not configured: a value the atlas depends on (the disclosure threshold, the folders a harvester may read) must
never silently take a default of its own here. `git grep -n "getattr(settings"` finds nothing outside this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import conf
from django.core.exceptions import ImproperlyConfigured


def _setting(name: str) -> Any:
    return getattr(conf.settings, name)


class AppSettings:
    """Typed, read-only view of the ATLAS_* settings (and the few of Django's the atlas interprets itself)."""

    @property
    def ATLAS_BASE_URL(self) -> str:  # noqa: N802 - settings keep their names
        """Base of every IRI the catalogue mints, with a trailing slash."""
        return str(_setting("ATLAS_BASE_URL"))

    @property
    def ATLAS_DISCLOSURE_K(self) -> int:  # noqa: N802
        """The small-count threshold k (docs/privacy.md §0); a value that is not an integer >= 1 is refused."""
        value = _setting("ATLAS_DISCLOSURE_K")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(f"ATLAS_DISCLOSURE_K must be an integer >= 1, not {value!r}")
        return value

    @property
    def ATLAS_HARVEST_FILE_ROOTS(self) -> list[str]:  # noqa: N802
        """The only folders harvesters may read (real paths)."""
        return list(_setting("ATLAS_HARVEST_FILE_ROOTS"))

    @property
    def ATLAS_HARVEST_PRIVATE_HOSTS(self) -> list[str]:  # noqa: N802
        """The only internal hosts harvesters may fetch from."""
        return list(_setting("ATLAS_HARVEST_PRIVATE_HOSTS"))

    @property
    def ATLAS_HARVEST_REPORT_DIR(self) -> Path:  # noqa: N802
        """Node-local folder of the refused-path report files (never in the database)."""
        return Path(_setting("ATLAS_HARVEST_REPORT_DIR"))

    @property
    def ATLAS_PUBLISHER_NAME(self) -> str:  # noqa: N802
        return str(_setting("ATLAS_PUBLISHER_NAME"))

    @property
    def ATLAS_PUBLISHER_EMAIL(self) -> str:  # noqa: N802
        return str(_setting("ATLAS_PUBLISHER_EMAIL"))

    @property
    def ATLAS_SHAPES_DIR(self) -> Path:  # noqa: N802
        """Folder of the official SHACL shapes used by validate_dcat."""
        return Path(_setting("ATLAS_SHAPES_DIR"))

    @property
    def ATLAS_SEARCH_BACKEND(self) -> str:  # noqa: N802
        """Dotted path of the search backend class."""
        return str(_setting("ATLAS_SEARCH_BACKEND"))

    @property
    def ATLAS_SEARCH_INDEX_PREFIX(self) -> str:  # noqa: N802
        return str(_setting("ATLAS_SEARCH_INDEX_PREFIX"))

    @property
    def ELASTICSEARCH_URL(self) -> str:  # noqa: N802
        value = _setting("ELASTICSEARCH_URL")
        return "" if value is None else str(value)

    @property
    def TRUSTED_PROXIES(self) -> int:  # noqa: N802
        """Reverse proxies whose X-Forwarded-For entries are trusted."""
        return int(_setting("TRUSTED_PROXIES"))

    @property
    def VAR_DIR(self) -> Path:  # noqa: N802
        """Where the node keeps its own files (SQLite, the generated secret key, static files, demo data)."""
        return Path(_setting("VAR_DIR"))


app_settings = AppSettings()
