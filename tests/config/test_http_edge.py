"""The HTTP edge, in process: bounded JSON, one error body under /api/, HTML error pages elsewhere, HEAD and 405,
and login lockouts (django-axes) on the token endpoint and the admin login."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from rest_framework.test import APIClient
from rest_framework.views import APIView

from catalogue.api.parsers import MAX_JSON_DEPTH, json_depth
from config.error_views import bad_request, csrf_failure
from config.middleware import ApiErrorBodyMiddleware, HeadResponseMiddleware

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "a-long-and-correct-password-7"


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


# -- bounded JSON --------------------------------------------------------------------------------------------


def test_json_depth_counts_nesting_and_ignores_brackets_inside_strings():
    assert json_depth('{"a": [1, {"b": []}]}') == 4
    assert json_depth('["[[[[", "\\"{{{", {"k": "]]]"}]') == 2
    assert json_depth("42") == 0
    assert json_depth("[" * 5000 + "]" * 5000) == 5000


def test_a_body_nested_1000_deep_is_a_400_with_the_error_body_not_a_500(db):
    body = "[" * 1000 + "]" * 1000
    response = APIClient().post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "json_too_deep"
    deep_object = '{"a":' * 1000 + "1" + "}" * 1000
    assert _error(APIClient().post(TOKEN_URL, deep_object, content_type="application/json"))["code"] == "json_too_deep"


def test_json_at_the_depth_limit_is_still_parsed(db):
    value = "[" * (MAX_JSON_DEPTH - 1) + '"x"' + "]" * (MAX_JSON_DEPTH - 1)
    body = '{"username": "nobody", "password": ' + value + "}"
    response = APIClient().post(TOKEN_URL, body, content_type="application/json")
    # parsed, then refused by the serializer: a validation error, not a depth error
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid"


def test_malformed_json_is_a_parse_error(db):
    response = APIClient().post(TOKEN_URL, '{"username": ', content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


# -- one error body under /api/, HTML pages elsewhere --------------------------------------------------------


def test_unknown_api_address_gets_the_json_404(db):
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_unknown_portal_page_gets_the_html_404_page(db):
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Page not found" in html and "European Cancer Imaging Atlas" in html


def test_a_bad_host_header_gets_the_json_400_under_api_and_a_page_elsewhere(db):
    client = Client()
    response = client.get("/api/v1/vocabularies/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert _error(response)["code"] == "bad_host"
    page = client.get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html") and "Bad request" in page.content.decode()


def test_too_many_form_fields_gets_the_json_400(db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    form = "&".join(f"f{i}=x" for i in range(60))
    response = Client().post(TOKEN_URL, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert _error(response)["code"] == "too_many_fields"
    page = Client().post("/admin/login/", form, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_an_oversized_body_is_413_under_api():
    request = RequestFactory().post("/api/v1/auth/token/")
    response = bad_request(request, RequestDataTooBig("too big"))
    assert response.status_code == 413
    assert _error(response)["code"] == "request_too_large"


def test_csrf_failure_is_json_under_api_and_html_elsewhere():
    factory = RequestFactory()
    api = csrf_failure(factory.post("/api/v1/anything/"), reason="CSRF cookie not set.")
    assert api.status_code == 403 and _error(api)["code"] == "csrf_failed"
    page = csrf_failure(factory.post("/admin/login/"), reason="CSRF cookie not set.")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_the_configured_csrf_failure_view_answers_a_real_csrf_failure(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def _boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("boom: a bug in a view")


class _BoomAPI(APIView):
    permission_classes = ()

    def get(self, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom: a bug in an API view")


def _boom_urls():  # type: ignore[no-untyped-def]
    import config.urls as root

    class Urls:
        urlpatterns = [path("api/v1/boom/", _BoomAPI.as_view()), path("api/plain-boom/", _boom), path("boom", _boom)]
        urlpatterns += root.urlpatterns
        handler400, handler403 = root.handler400, root.handler403
        handler404, handler500 = root.handler404, root.handler500

    return Urls


def test_a_server_error_is_json_under_api_without_details_and_a_page_elsewhere(db, settings):
    settings.ROOT_URLCONF = _boom_urls()
    client = Client(raise_request_exception=False)
    for url in ("/api/v1/boom/", "/api/plain-boom/"):
        response = client.get(url)
        assert response.status_code == 500
        assert _error(response)["code"] == "server_error"
        assert b"boom" not in response.content and b"Traceback" not in response.content
    page = client.get("/boom")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert "Server error" in page.content.decode() and "boom" not in page.content.decode()


def test_the_middleware_gives_any_other_api_error_the_json_body_and_keeps_its_headers():
    def not_allowed(request):  # type: ignore[no-untyped-def]
        response = HttpResponseNotAllowed(["GET", "HEAD"])
        response.headers["Retry-After"] = "7"
        return response

    middleware = ApiErrorBodyMiddleware(not_allowed)
    response = middleware(RequestFactory().post("/api/v1/whatever/"))
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD" and response["Retry-After"] == "7"
    portal = middleware(RequestFactory().post("/whatever"))
    assert not portal["Content-Type"].startswith("application/json")


# -- HEAD and methods ----------------------------------------------------------------------------------------


def test_head_responses_carry_no_body_but_the_get_content_length():
    page = b"<html>" + b"x" * 500 + b"</html>"
    middleware = HeadResponseMiddleware(lambda request: HttpResponse(page))
    head = middleware(RequestFactory().head("/"))
    assert head.content == b""
    assert head["Content-Length"] == str(len(page))
    get = middleware(RequestFactory().get("/"))
    assert get.content == page


def test_head_streaming_responses_carry_no_body():
    middleware = HeadResponseMiddleware(lambda request: StreamingHttpResponse(iter([b"a", b"b"])))
    head = middleware(RequestFactory().head("/"))
    assert b"".join(head.streaming_content) == b""


@pytest.mark.parametrize("url", ["/", "/healthz", "/datasets/atl-x"])
def test_methods_a_page_does_not_serve_get_405_with_allow(db, url):
    client = Client()
    for method in ("TRACE", "POST", "PUT", "DELETE"):
        response = client.generic(method, url)
        assert response.status_code == 405, (method, url)
        assert response["Allow"] == "GET, HEAD"
        assert b"<html" not in response.content.lower()


def test_trace_on_an_api_address_is_405_with_the_json_body(db):
    response = Client().generic("TRACE", "/api/v1/vocabularies/")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_head_is_still_served_where_get_is(db):
    assert Client().head("/healthz").status_code == 200


# -- password guessing ---------------------------------------------------------------------------------------


@pytest.fixture
def curator_account(db, settings):  # type: ignore[no-untyped-def]
    # A fast hasher: each refused guess would otherwise cost a full PBKDF2 run (the counting is what is tested).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return get_user_model().objects.create_user("curator", password=PASSWORD, is_staff=True)


def _token(client: APIClient, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def test_the_token_endpoint_gives_a_token_for_the_right_password(curator_account):
    response = _token(APIClient(), "curator", PASSWORD)
    assert response.status_code == 200 and response.json()["token"]


def test_ten_wrong_passwords_then_the_right_one_is_refused_at_the_token_endpoint(curator_account):
    client = APIClient()
    codes = [_token(client, "curator", f"wrong-{i}").status_code for i in range(10)]
    assert codes[0] == 400 and codes[-1] == 429
    response = _token(client, "curator", PASSWORD)
    assert response.status_code == 429
    error = _error(response)
    assert error["code"] == "locked_out"
    assert int(response["Retry-After"]) > 0
    assert "token" not in response.json()


def test_the_lockout_holds_per_account_from_another_client(curator_account):
    for i in range(10):
        _token(APIClient(), "curator", f"wrong-{i}", REMOTE_ADDR="10.0.0.1")
    response = _token(APIClient(), "curator", PASSWORD, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429 and _error(response)["code"] == "locked_out"


def test_the_lockout_holds_per_client_for_other_accounts(curator_account):
    for i in range(10):
        _token(APIClient(), f"guess-{i}", "wrong", REMOTE_ADDR="10.0.0.3")
    response = _token(APIClient(), "curator", PASSWORD, REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429
    assert _token(APIClient(), "curator", PASSWORD, REMOTE_ADDR="10.0.0.4").status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_count(curator_account, settings):
    settings.TRUSTED_PROXIES = 0
    for i in range(10):
        _token(APIClient(), f"guess-{i}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    response = _token(APIClient(), "curator", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(curator_account, settings):
    settings.TRUSTED_PROXIES = 1
    for i in range(10):
        _token(APIClient(), f"guess-{i}", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _token(APIClient(), "curator", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # another client behind the same proxy (same REMOTE_ADDR) is not locked out by the first one's failures
    assert _token(APIClient(), "curator", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


def test_the_token_endpoint_is_rate_limited_like_the_rest_of_the_api(curator_account, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "100/min"})
    client = APIClient()
    codes = [_token(client, "curator", PASSWORD).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_ten_wrong_passwords_then_the_right_one_is_refused_at_the_admin_login(curator_account):
    client = Client()
    for i in range(10):
        client.post("/admin/login/", {"username": "curator", "password": f"wrong-{i}"})
    response = client.post("/admin/login/", {"username": "curator", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_the_admin_login_works_with_the_right_password(curator_account):
    client = Client()
    response = client.post("/admin/login/", {"username": "curator", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(curator_account.pk)


def test_an_admin_lifts_an_account_lockout_with_the_documented_command(curator_account):
    from django.core.management import call_command

    for i in range(10):
        _token(APIClient(), "curator", f"wrong-{i}", REMOTE_ADDR="10.0.0.5")
    assert _token(APIClient(), "curator", PASSWORD, REMOTE_ADDR="10.0.0.6").status_code == 429
    call_command("axes_reset_username", "curator", stdout=io.StringIO())
    assert _token(APIClient(), "curator", PASSWORD, REMOTE_ADDR="10.0.0.6").status_code == 200


def test_failed_logins_leave_no_account_name_or_address_in_the_logs(curator_account, caplog):
    with caplog.at_level("DEBUG"):
        for i in range(6):
            _token(APIClient(), "curator", f"wrong-{i}", REMOTE_ADDR="10.9.8.7")
    assert "AXES" in caplog.text  # the failures are logged...
    assert "curator" not in caplog.text and "10.9.8.7" not in caplog.text  # ...without who or from where
