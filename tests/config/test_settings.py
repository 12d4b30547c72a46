"""Settings parsing: loud errors on bad values, defaults as documented, a production config passing check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import base_url, env_bool, env_int, env_list, env_paths

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("YES", True), ("off", False), ("0", False)])
def test_env_bool_accepts_the_usual_spellings(raw, expected):
    assert env_bool("X", environ={"X": raw}) is expected


def test_env_bool_refuses_a_typo_instead_of_meaning_false():
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("DEBUG", environ={"DEBUG": "ture"})


def test_env_bool_default_when_unset():
    assert env_bool("X", True, environ={}) is True


def test_env_int_parses_and_enforces_minimum():
    assert env_int("K", 10, environ={"K": " 12 "}) == 12
    assert env_int("K", 10, environ={}) == 10
    with pytest.raises(ImproperlyConfigured, match="at least 2"):
        env_int("K", 10, minimum=2, environ={"K": "1"})
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("K", 10, environ={"K": "ten"})


def test_env_list_drops_blank_items():
    assert env_list("H", environ={"H": "a.example, ,b.example,"}) == ["a.example", "b.example"]
    assert env_list("H", ["d"], environ={}) == ["d"]


def test_env_paths_requires_absolute_folders_and_normalises_them(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    assert env_paths("R", environ={"R": f"{link},{tmp_path}"}) == [str(tmp_path.resolve())] * 2
    with pytest.raises(ImproperlyConfigured, match="not an absolute path"):
        env_paths("R", environ={"R": "relative/dir"})


def test_base_url_gets_a_trailing_slash_and_refuses_queries():
    assert base_url("https://atlas.example.eu") == "https://atlas.example.eu/"
    with pytest.raises(ImproperlyConfigured):
        base_url("atlas.example.eu")
    with pytest.raises(ImproperlyConfigured):
        base_url("https://atlas.example.eu/?x=1")


def test_loaded_settings_have_the_documented_defaults(settings):
    assert settings.ATLAS_DISCLOSURE_K >= 2
    assert settings.ATLAS_BASE_URL.endswith("/")
    assert isinstance(settings.ATLAS_HARVEST_FILE_ROOTS, list)
    assert settings.CELERY_WORKER_POOL == "threads"


def _run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "CELERY", "CACHE", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "k" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "atlas.example.eu",
        "ATLAS_BASE_URL": "https://atlas.example.eu/",
        "ATLAS_HTTPS": "true",
        "TRUSTED_PROXIES": "1",
        "ATLAS_VAR_DIR": str(tmp_path),
    }
    result = _run_manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_bad_setting_stops_the_process_with_its_name(tmp_path):
    result = _run_manage(["check"], {"ATLAS_DISCLOSURE_K": "zero", "ATLAS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ATLAS_DISCLOSURE_K" in result.stderr


def test_a_misconfigured_search_backend_is_a_loud_error(settings):
    from search.backends import get_backend

    get_backend.cache_clear()
    settings.ATLAS_SEARCH_BACKEND = "search.backends.nope.Missing"
    try:
        with pytest.raises(ImproperlyConfigured, match="ATLAS_SEARCH_BACKEND"):
            get_backend()
    finally:
        get_backend.cache_clear()
