"""The API's token endpoint: DRF's `ObtainAuthToken` with the API's parsers and throttles, and lockouts as 429.

DRF's own view sets `throttle_classes = ()` and its own parser list (the plain `JSONParser`), so it escaped both the
API's rate limits and the depth-bounded JSON parser. Failed logins are counted by django-axes (config/auth.py)
through its authentication backend; a locked-out client or account gets 429 `locked_out` even with the right
password.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.auth import LOCKED_OUT_MESSAGE, cool_off_seconds


class LockedOut(exceptions.Throttled):
    default_detail = LOCKED_OUT_MESSAGE
    default_code = "locked_out"


class ObtainAuthTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (POST, form or JSON)."""

    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    throttle_classes = api_settings.DEFAULT_THROTTLE_CLASSES

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # axes flags the request it refused (or the failure that reached the limit) on DRF's request object.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(wait=cool_off_seconds()) from None
            raise


obtain_auth_token = ObtainAuthTokenView.as_view()
