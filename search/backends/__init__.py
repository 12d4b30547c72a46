"""Search backends, loaded from the dotted path in settings.ATLAS_SEARCH_BACKEND."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from search.backends.base import SearchBackend


@lru_cache(maxsize=1)
def get_backend() -> SearchBackend:
    """The configured backend; a wrong dotted path is a loud configuration error, never a silent fallback."""
    path = settings.ATLAS_SEARCH_BACKEND
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"ATLAS_SEARCH_BACKEND={path!r} cannot be imported: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, SearchBackend)):
        raise ImproperlyConfigured(f"ATLAS_SEARCH_BACKEND={path!r} is not a SearchBackend")
    return cls()
