"""Request size limit for every request, including the API (DRF parsers read the stream directly)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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
