"""One settings accessor, no writes at import, every environment variable the code reads documented in the README."""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.app_settings import app_settings
from config.paths import REPO_ROOT

PACKAGES = ("catalogue", "harvesters", "search", "config")
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list", "env_paths"}


def _python_files() -> list[Path]:
    files = [REPO_ROOT / "manage.py"]
    for package in PACKAGES:
        files += [p for p in sorted((REPO_ROOT / package).rglob("*.py")) if "migrations" not in p.parts]
    return files


def variables_read_by_the_code() -> set[str]:
    """Every environment variable read: names given to config.env's readers, os.environ.get / [] and os.getenv."""
    names: set[str] = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                on_environ = isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os.environ"
                if name in ENV_READERS or (on_environ and name == "get") or ast.unparse(func) == "os.getenv":
                    names.add(node.args[0].value)
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" and isinstance(node.ctx, ast.Load):
                if isinstance(node.slice, ast.Constant):
                    names.add(node.slice.value)
    return names


def variables_in_the_readme() -> set[str]:
    """The variables of the README's Configuration table (a row may name several: `A` / `B`, `A`, `B`)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_every_variable_the_code_reads_is_in_the_readme_table_and_no_other():
    read = variables_read_by_the_code()
    documented = variables_in_the_readme()
    assert {"SECRET_KEY", "ATLAS_DISCLOSURE_K", "ATLAS_HARVEST_REPORT_DIR", "ATLAS_REFERENCE_DIR"} <= read  # the scan works
    assert not read - documented, f"read by the code but not in README's Configuration table: {sorted(read - documented)}"
    assert not documented - read, f"in README's Configuration table but read by nothing: {sorted(documented - read)}"


def test_no_module_reads_settings_with_a_default_of_its_own():
    pattern = re.compile(r"getattr\(\s*(?:django\.conf\.)?settings\s*,")
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}"
        for path in _python_files()
        if path != REPO_ROOT / "config" / "app_settings.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, f"read settings through config.app_settings instead: {offenders}"


def test_the_accessor_reads_the_current_settings(settings, tmp_path):
    settings.ATLAS_DISCLOSURE_K = 7
    settings.ATLAS_HARVEST_REPORT_DIR = str(tmp_path)
    assert app_settings.ATLAS_DISCLOSURE_K == 7
    assert app_settings.ATLAS_HARVEST_REPORT_DIR == tmp_path


@pytest.mark.parametrize("bad", [0, -1, True, "10", 10.0])
def test_an_invalid_disclosure_threshold_is_refused_not_replaced(settings, bad):
    settings.ATLAS_DISCLOSURE_K = bad
    with pytest.raises(ImproperlyConfigured, match="ATLAS_DISCLOSURE_K"):
        app_settings.ATLAS_DISCLOSURE_K  # noqa: B018


def test_an_unset_setting_is_an_error_not_a_default(settings):
    del settings.ATLAS_HARVEST_REPORT_DIR
    with pytest.raises(AttributeError):
        app_settings.ATLAS_HARVEST_REPORT_DIR  # noqa: B018


_PROBE = """
import os, sys
import django
django.setup()
print("after-setup", os.path.exists(sys.argv[1]))
from django.conf import settings
from django.utils.crypto import salted_hmac
print("hmac", salted_hmac("probe", "value").hexdigest())
"""


def _probe(var: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "DATABASE", "CACHE", "CELERY"))}
    env.update({"ATLAS_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings"})
    result = subprocess.run([sys.executable, "-c", _PROBE, str(var)], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_loading_the_settings_writes_nothing_and_the_key_is_made_on_first_use_then_kept(tmp_path):
    var = tmp_path / "var"
    first = _probe(var)
    assert first[:2] == ["after-setup", "False"]  # django.setup() created no folder
    key_file = var / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 50
    second = _probe(var)
    assert second[:2] == ["after-setup", "True"]
    assert first[3] == second[3]  # the same key in the next process: keyed hashes stay stable


def test_manage_py_prepares_the_var_folder(tmp_path):
    var = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "CACHE", "CELERY"))}
    env.update({"ATLAS_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var / 'atlas.sqlite3'}"})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (var / "static").is_dir()
