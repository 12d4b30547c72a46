"""Typed readers for environment variables: every setting the atlas takes comes through here."""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """Return the variable stripped of surrounding blanks, or the default when unset."""
    value = (environ if environ is not None else os.environ).get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """Parse a boolean loudly: a typo such as DEBUG=ture must not silently mean False."""
    raw = (environ if environ is not None else os.environ).get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use one of 1/0, true/false, yes/no, on/off)")


def env_int(
    name: str, default: int, *, minimum: int | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Parse an integer, refusing values below the minimum."""
    raw = (environ if environ is not None else os.environ).get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str] | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Parse a comma-separated list; blank items are dropped."""
    raw = (environ if environ is not None else os.environ).get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_paths(name: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Parse an os.pathsep- or comma-separated list of absolute folders, normalised with realpath."""
    raw = (environ if environ is not None else os.environ).get(name, "")
    parts = [p.strip() for chunk in raw.split(os.pathsep) for p in chunk.split(",") if p.strip()]
    out = []
    for part in parts:
        if not os.path.isabs(part):
            raise ImproperlyConfigured(f"{name}: {part!r} is not an absolute path")
        out.append(os.path.realpath(part))
    return out


def base_url(raw: str) -> str:
    """Validate ATLAS_BASE_URL: an absolute http(s) URL without query or fragment, kept with a trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"ATLAS_BASE_URL={raw!r} must be an absolute http(s) URL without query or fragment")
    return raw if raw.endswith("/") else raw + "/"
