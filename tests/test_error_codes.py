"""One error model: every code raised anywhere is listed once in catalogue.error_codes, and every listed code is used.

The codes are collected from the source, not from a list kept by hand: an AST scan finds every `code="..."` given to
an error class (the subclasses of AtlasError and DRF's APIException, found by the scan too, and the stage-error
records), every `error_code="..."`, every class-level `code` / `default_code`, the API's own error bodies and the
management commands' `command_error("...")`.
"""

from __future__ import annotations

import ast

import pytest
from rest_framework import exceptions as drf_exceptions

from catalogue.error_codes import ERROR_CODES, ERROR_GROUPS, render_markdown
from config.paths import REPO_ROOT

PACKAGES = ("catalogue", "harvesters", "search", "config")
# Records of an error that are not exceptions, and DRF's exceptions (their classes live outside the repository).
ERROR_RECORDS = {"StageErrorInfo", "StageError", "APIException", "ParseError", "Throttled", "PermissionDenied",
                 "NotAuthenticated", "AuthenticationFailed", "NotFound", "ValidationError"}
ERROR_BASES = {"AtlasError", "APIException", "HarvestError"}


def _source_trees() -> dict[str, ast.Module]:
    trees = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                trees[path.relative_to(REPO_ROOT).as_posix()] = ast.parse(path.read_text(encoding="utf-8"))
    return trees


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Every class of the code base that derives, directly or not, from an error base."""
    names = set(ERROR_BASES)
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and {_name(b) for b in node.bases} & names:
                    names.add(node.name)
                    grew = True
    return names


def raised_codes(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    """code -> where it is raised ("path:line")."""
    classes = error_classes(trees) | ERROR_RECORDS
    found: dict[str, list[str]] = {}

    def add(code: str | None, where: str) -> None:
        if code:
            found.setdefault(code, []).append(where)

    for path, tree in trees.items():
        for node in ast.walk(tree):
            where = f"{path}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                callee = _name(node.func)
                for keyword in node.keywords:
                    if keyword.arg == "error_code" or (keyword.arg == "code" and (callee in classes or callee == "__init__")):
                        add(_text(keyword.value), where)
                if callee == "command_error" and node.args:
                    add(_text(node.args[0]), where)
                if callee.endswith("_refused") and len(node.args) >= 2:  # catalogue.dcat.load's refusal helpers
                    add(_text(node.args[1]), where)
                if callee in {"error_body", "error_response"}:
                    for arg in node.args[:2]:
                        text = _text(arg)
                        if text and text.isidentifier():
                            add(text, where)
            elif isinstance(node, ast.ClassDef) and node.name in classes:
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and {_name(t) for t in statement.targets} & {"code", "default_code"}:
                        add(_text(statement.value), f"{path}:{statement.lineno}")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if key is not None and _text(key) == "code":
                        add(_text(value), where)
    return found


def drf_codes() -> set[str]:
    """The codes DRF's own exceptions carry, which the API handler passes through (`exc.get_codes()`)."""
    return {
        cls.default_code for cls in vars(drf_exceptions).values()
        if isinstance(cls, type) and issubclass(cls, drf_exceptions.APIException)
    }


@pytest.fixture(scope="module")
def raised() -> dict[str, list[str]]:
    return raised_codes(_source_trees())


def test_the_scan_finds_codes_of_every_kind_of_error(raised):
    # One known code per way a code is given, so a scan that silently stopped matching fails here.
    for code in ("harvest_failed", "location_not_allowed", "egress_denied", "too_many_triples", "xml_dtd_not_allowed",
                 "duplicate_guid", "abandoned", "dataset_not_found", "locked_out", "csrf_failed", "invalid_argument"):
        assert code in raised, code


def test_every_code_raised_is_listed_once(raised):
    unlisted = {code: places[:3] for code, places in raised.items() if code not in ERROR_CODES}
    assert not unlisted, f"codes raised but not listed in catalogue/error_codes.py: {unlisted}"


def test_the_api_status_codes_and_drf_codes_are_listed():
    from catalogue.api.errors import STATUS_ERRORS

    missing = ({code for code, _ in STATUS_ERRORS.values()} | drf_codes()) - set(ERROR_CODES)
    assert not missing, f"codes the API answers with but not listed: {sorted(missing)}"


def test_every_listed_code_is_used(raised):
    from catalogue.api.errors import STATUS_ERRORS

    used = set(raised) | drf_codes() | {code for code, _ in STATUS_ERRORS.values()}
    unused = sorted(set(ERROR_CODES) - used)
    assert not unused, f"codes listed in catalogue/error_codes.py that nothing raises: {unused}"


def test_no_code_is_listed_in_two_groups():
    codes = [code for group in ERROR_GROUPS.values() for code in group]
    assert len(codes) == len(set(codes))
    assert all(code.isidentifier() and code == code.lower() for code in codes)


def test_the_rdf_load_path_codes_are_the_listed_ones():
    from catalogue.dcat import load

    assert set(load.ERROR_CODES) <= set(ERROR_CODES)


def test_docs_errors_md_is_generated_from_the_table():
    page = REPO_ROOT / "docs" / "errors.md"
    assert page.read_text(encoding="utf-8") == render_markdown(), (
        "docs/errors.md is stale: python -m catalogue.error_codes > docs/errors.md"
    )


def test_management_commands_raise_errors_with_their_code_only_through_command_error():
    offenders = []
    for path, tree in _source_trees().items():
        if path == "catalogue/errors.py":
            continue
        offenders += [f"{path}:{n.lineno}" for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == "CommandError"]
    assert not offenders, f"CommandError built without its code (use catalogue.errors.command_error): {offenders}"


def test_a_harvest_error_is_an_atlas_error_with_its_code():
    from catalogue.errors import AtlasError
    from harvesters.base import HarvestError
    from harvesters.fetch import FetchError

    assert issubclass(HarvestError, AtlasError)
    assert HarvestError("boom").code == "harvest_failed"
    assert FetchError("no", code="dns_error").code == "dns_error"


def test_the_api_answers_a_harvest_error_with_the_same_code():
    from catalogue.api.errors import exception_handler
    from harvesters.base import HarvestError

    response = exception_handler(HarvestError("outside the roots", code="location_not_allowed"), {})
    assert response is not None and response.status_code == 400
    assert response.data["error"]["code"] == "location_not_allowed"


@pytest.mark.django_db
def test_the_cli_message_ends_with_the_same_code():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=r"\[source_not_found\]$"):
        call_command("harvest_source", "publish", "no-such-source")
