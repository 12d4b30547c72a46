"""Password guessing limits (django-axes): which client a login attempt comes from, and the lockout answer.

Axes counts failed logins in the shared default cache, by client address and by account name, across every login
path that calls `django.contrib.auth.authenticate` with the request: the admin login form and the API's token
endpoint (catalogue/api/auth.py). The cache keys are hashes of those values and expire after the cool-off, so no
address or account name is written to a table or kept afterwards.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalogue.api.errors import error_response, is_api_path
from config.app_settings import app_settings

LOCKED_OUT_MESSAGE = "Too many failed logins: try again later."


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address the way DRF's throttles do (`NUM_PROXIES` = TRUSTED_PROXIES).

    X-Forwarded-For is read only when proxies are trusted, and then the entry the nearest trusted proxy added:
    a client cannot dodge the count by sending its own header.
    """
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = app_settings.TRUSTED_PROXIES
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; the API's error body under /api/, a small page elsewhere."""
    if is_api_path(request.path):
        response: HttpResponse = error_response(429, "locked_out", LOCKED_OUT_MESSAGE)
    else:
        minutes = max(1, cool_off_seconds() // 60)
        response = render(request, "429.html", {"minutes": minutes}, status=429)
    response.headers["Retry-After"] = str(cool_off_seconds())
    return response
