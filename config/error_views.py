"""Error pages: the API's JSON error body under /api/, small HTML pages (templates/4xx.html, 500.html) elsewhere.

Django calls these for errors it answers itself, including those raised before URL resolution: a bad Host header
(`DisallowedHost`, raised by `request.get_host()` in CommonMiddleware), too many form fields
(`TooManyFieldsSent`), an oversized body (`RequestDataTooBig`), a CSRF failure and any unhandled exception. They
read only `request.path`, never the Host header, so they work for the very request whose Host was refused.
"""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

from catalogue.api.errors import error_response, is_api_path

logger = logging.getLogger(__name__)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Answer 400 (413 for an oversized API body), naming what was wrong for API clients."""
    if not is_api_path(request.path):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, DisallowedHost):
        return error_response(400, "bad_host", "The Host header is not one this server answers for.")
    if isinstance(exception, TooManyFieldsSent):
        return error_response(400, "too_many_fields", "The request has too many form fields.")
    if isinstance(exception, RequestDataTooBig):
        return error_response(413, "request_too_large", "The request body is too large.")
    return error_response(400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api_path(request.path):
        return defaults.permission_denied(request, exception)  # type: ignore[arg-type]
    return error_response(403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not is_api_path(request.path):
        return defaults.page_not_found(request, exception)  # type: ignore[arg-type]
    return error_response(404, "not_found", "No API resource at this address.")


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer 500 without details (the exception is logged by django.request)."""
    if not is_api_path(request.path):
        return defaults.server_error(request)
    return error_response(500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the JSON error body under /api/, Django's page (templates/403_csrf.html if any) elsewhere."""
    if not is_api_path(request.path):
        return django_csrf_failure(request, reason)
    logger.warning("CSRF check failed on %s: %s", request.path, reason)
    return error_response(403, "csrf_failed", "The CSRF check failed; send the CSRF token with this request.")
