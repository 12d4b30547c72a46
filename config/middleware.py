"""The HTTP edge: HEAD without a body, the API's error body on every /api/ error, request size limit, CSP."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from catalogue.api.errors import error_response, is_api_path


class HeadResponseMiddleware:
    """Send no body in answer to HEAD, keeping the Content-Length a GET would have.

    Django's test client and runserver drop the body of a HEAD response themselves, but a plain WSGI server such
    as gunicorn sends whatever the application returns: the extra bytes are then read by a kept-alive client as the
    start of the next response. Placed first in MIDDLEWARE, so it sees the final response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if response.streaming:
            # The original iterator's close() is already registered on the response, so it is still released.
            response.streaming_content = []  # type: ignore[attr-defined]
        else:
            if not response.has_header("Content-Length"):
                response.headers["Content-Length"] = str(len(response.content))
            response.content = b""
        return response


class ApiErrorBodyMiddleware:
    """Give every error response under /api/ the API's JSON error body, whoever produced it.

    DRF views and the handlers of config/urls.py already answer with it; this catches the rest (a 405 from a
    method decorator, a 403 from a middleware, ...), keeping the status and headers such as Allow or Retry-After.
    """

    _DROPPED_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "content-disposition"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type == "application/json" or content_type.endswith("+json"):
            return response
        replacement = error_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in self._DROPPED_HEADERS:
                replacement.headers[name] = value
        for cookie in response.cookies.values():
            replacement.cookies[cookie.key] = cookie
        return replacement


class RequestSizeLimitMiddleware:
    """Refuse bodies larger than DATA_UPLOAD_MAX_MEMORY_SIZE with 413, before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return JsonResponse(
                {"error": {"code": "invalid_content_length", "message": "Content-Length is not a number."}}, status=400
            )
        if limit is not None and length > limit:
            return JsonResponse(
                {"error": {"code": "request_too_large", "message": f"Request bodies are limited to {limit} bytes."}},
                status=413,
            )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy for the portal pages: no inline or foreign scripts, no framing.

    The API docs (Swagger UI / Redoc from the bundled sidecar) and the admin start their widgets with inline
    scripts, so they get a policy that allows inline scripts from this origin only.
    """

    STRICT = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )
    RELAXED = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        relaxed = request.path.startswith(("/api/docs", "/api/redoc", "/admin"))
        response.headers.setdefault("Content-Security-Policy", self.RELAXED if relaxed else self.STRICT)
        return response
