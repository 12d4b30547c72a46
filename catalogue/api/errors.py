"""One error body for the whole API: {"error": {"code", "message", "fields"?}}.

DRF's errors come through `exception_handler`; errors Django answers itself under /api/ (unknown URL, bad Host,
too many form fields, CSRF, server error) come through `error_response`, called by the handlers of config/urls.py
and by `config.middleware.ApiErrorBodyMiddleware`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from catalogue.errors import AtlasError


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


API_PREFIX = "/api/"

# The code and message of an error status when nothing more precise is known (Django's own pages, other middleware).
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is not valid."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request body is too large."),
    429: ("throttled", "Too many requests."),
    500: ("server_error", "The server failed to answer this request."),
}


def is_api_path(path: str) -> bool:
    """Tell whether a request path belongs to the API, which always answers with the JSON error body."""
    return path == API_PREFIX.rstrip("/") or path.startswith(API_PREFIX)


def error_response(
    status: int, code: str | None = None, message: str | None = None, fields: dict[str, Any] | None = None
) -> JsonResponse:
    """Build the API error body as a plain Django response (for code paths outside DRF)."""
    default_code, default_message = STATUS_ERRORS.get(status, ("error" if status < 500 else "server_error", "Error."))
    return JsonResponse(error_body(code or default_code, message or default_message, fields), status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Translate domain errors and DRF errors into the atlas error body."""
    if isinstance(exc, AtlasError):
        fields = {exc.field: [exc.message]} if exc.field else None
        return Response(error_body(exc.code, exc.message, fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", "The request is not valid.", detail)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, str(exc.detail))
    return response
