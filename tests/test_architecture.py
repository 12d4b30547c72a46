"""The house rules, checked: interfaces read through selectors and write through services.

Which modules are interfaces: every module of `catalogue/`, `harvesters/`, `search/` and `config/` named
`views.py`, `api.py`, `admin.py` or `tasks.py`, or inside a folder `views/`, `api/`, `templatetags/` or
`management/commands/` (pages, the REST API, the Django admin, Celery tasks, template tags, `manage.py` commands).

The rules (an AST scan, so a string or a comment never trips them):

1. No ORM access: an interface never names a model manager (`X.objects`, `X._default_manager`,
   `X._base_manager`). Reads go through `catalogue.selectors` (or `harvesters.selectors`, `search.selectors`),
   writes through the services. The one exception is `X.objects.none()`, an empty queryset that touches no
   database and that DRF's schema generation needs to know a view's model.
2. No ORM writes: an interface never calls `.save()`, `.delete()`, `.create()`, `.bulk_create()`,
   `.bulk_update()`, `.get_or_create()`, `.update_or_create()` or `.save_m2m()` on anything, nor the admin's
   default writers (`save_model`, `delete_model`, `delete_queryset`, `save_related`, `save_formset`, which save
   the row directly: a source's `published` box saved that way never reached `source_publish` and left the
   search index stale); and never `.update()`, `.delete()`, `.set()`, `.add()`, `.remove()` or `.clear()` on
   a queryset chain (`...filter(...).update(...)`). `.update()` on a dict or a progress bar is not a write.
3. Every ModelAdmin of our apps either refuses add, change and delete for a superuser or overrides the
   matching hook in its own class (`save_model` and `save_related` for add and change, `delete_model` and
   `delete_queryset` for delete), since Django's defaults write through the ORM; the inlines of an admin that
   can add or change are read-only (no add, no delete, every field read-only).

ALLOWED lists (module, rule, line text) exceptions with the reason; it is empty and should stay so.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("catalogue", "harvesters", "search", "config")
INTERFACE_NAMES = {"views.py", "api.py", "admin.py", "tasks.py"}
INTERFACE_FOLDERS = {"views", "api", "templatetags"}

MANAGERS = {"objects", "_default_manager", "_base_manager"}
WRITES_ANYWHERE = {
    "save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "save_m2m",
    "save_model", "delete_model", "delete_queryset", "save_related", "save_formset",
}
WRITES_ON_QUERYSETS = {"update", "delete", "set", "add", "remove", "clear"}
QUERYSET_METHODS = {
    "all", "filter", "exclude", "select_related", "prefetch_related", "annotate", "order_by", "distinct", "only",
    "defer", "select_for_update", "using", "values", "values_list", "none",
} | MANAGERS

# (module path, rule, stripped source line) -> why it is allowed. Empty: every interface follows the rules.
ALLOWED: dict[tuple[str, str, str], str] = {}


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.rule}: {self.text}"


def interface_modules(root: Path = ROOT) -> list[Path]:
    """The interface modules of the project (see the module docstring)."""
    found: list[Path] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root)
            parts = rel.parts
            if "migrations" in parts:
                continue
            in_commands = any(parts[i : i + 2] == ("management", "commands") for i in range(len(parts) - 1))
            if path.name in INTERFACE_NAMES or INTERFACE_FOLDERS & set(parts[:-1]) or in_commands:
                if path.name != "__init__.py" or path.stat().st_size:
                    found.append(path)
    return found


def _is_queryset_chain(node: ast.AST) -> bool:
    """True for `X.objects`, `X.objects.filter(...)`, `qs.filter(...).exclude(...)` and the like."""
    if isinstance(node, ast.Attribute):
        return node.attr in MANAGERS or _is_queryset_chain(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in QUERYSET_METHODS or _is_queryset_chain(node.func.value)
    return False


def scan_source(source: str, module: str = "<string>") -> list[Violation]:
    """The violations of rules 1 and 2 in one module's source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out: list[Violation] = []

    def add(node: ast.AST, rule: str) -> None:
        text = lines[node.lineno - 1].strip()  # type: ignore[attr-defined]
        if (module, rule, text) not in ALLOWED:
            out.append(Violation(module, node.lineno, rule, text))  # type: ignore[attr-defined]

    empty_querysets: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "none"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in MANAGERS
        ):
            empty_querysets.add(id(node.func.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS and id(node) not in empty_querysets:
            add(node, "orm-access")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in WRITES_ANYWHERE:
                add(node, "orm-write")
            elif name in WRITES_ON_QUERYSETS and _is_queryset_chain(node.func.value):
                add(node, "orm-write")
    return out


# ---------------------------------------------------------------------------------------------- the scanner itself


@pytest.mark.parametrize(
    "source, rules",
    [
        ("Source.objects.filter(slug='a').first()", ["orm-access"]),
        ("Source.objects.create(slug='a')", ["orm-access", "orm-write"]),
        ("Source._default_manager.all()", ["orm-access"]),
        ("obj.save(update_fields=['published'])", ["orm-write"]),
        ("super().save_model(request, obj, form, change)", ["orm-write"]),
        ("form.save_m2m()", ["orm-write"]),
        ("qs.filter(pk=1).update(published=True)", ["orm-write"]),
        ("source.records.all().delete()", ["orm-write"]),
        ("dataset.distributions.all().set([])", ["orm-write"]),
        ("queryset = Concept.objects.none()", []),
        ("context.update({'a': 1})", []),
        ("bar.update(done - bar.n)", []),
        ("seen.add(1)", []),
        ("selectors.dataset_list_public().filter(pk=1).first()", []),
        ("services.source_publish(source=s, published=True)", []),
        ("text = 'Source.objects.create(slug=1)'  # obj.save()", []),
    ],
)
def test_the_scanner_finds_orm_reads_and_writes_and_nothing_else(source, rules):
    assert sorted(v.rule for v in scan_source(source)) == sorted(rules)


def test_the_interface_modules_include_views_apis_admins_and_commands():
    names = {str(p.relative_to(ROOT)) for p in interface_modules()}
    for expected in ("catalogue/views.py", "catalogue/api/views.py", "catalogue/admin.py", "harvesters/admin.py",
                     "search/views.py", "search/api.py", "harvesters/management/commands/harvest_source.py"):
        assert expected in names
    assert not any("/migrations/" in n or n.endswith("services.py") or n.endswith("selectors.py") for n in names)


# ---------------------------------------------------------------------------------------------- the rules


def test_interfaces_read_through_selectors_and_write_through_services():
    violations: list[Violation] = []
    for path in interface_modules():
        violations.extend(scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))))
    assert not violations, "ORM used directly in an interface module:\n" + "\n".join(map(str, violations))


def test_the_allow_list_names_only_lines_that_still_exist():
    for (module, _rule, text), reason in ALLOWED.items():
        assert reason.strip(), f"{module}: an allowed exception needs its reason"
        assert text in (ROOT / module).read_text(encoding="utf-8"), f"{module}: stale allow-list entry {text!r}"


@pytest.mark.django_db
def test_every_admin_of_our_apps_writes_through_services_or_not_at_all(rf, django_user_model):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = django_user_model(username="root", is_staff=True, is_superuser=True, is_active=True)
    apps = {"catalogue", "harvesters", "search"}
    ours = [(model, ma) for model, ma in admin.site._registry.items() if model._meta.app_label in apps]
    assert ours, "no admin of ours is registered"
    problems: list[str] = []
    for model, model_admin in ours:
        label = f"{model._meta.label} ({type(model_admin).__name__})"
        own = {name for klass in type(model_admin).__mro__ if klass.__module__.split(".")[0] in apps for name in vars(klass)}
        writes = model_admin.has_add_permission(request) or model_admin.has_change_permission(request, None)
        if writes and not {"save_model", "save_related"} <= own:
            problems.append(f"{label}: can add or change but saves through Django's default save_model/save_related")
        if model_admin.has_delete_permission(request, None) and not {"delete_model", "delete_queryset"} <= own:
            problems.append(f"{label}: can delete through Django's default delete_model/delete_queryset")
        for inline in model_admin.get_inline_instances(request, None) if writes else []:
            editable = set(inline.get_fields(request, None)) - set(inline.get_readonly_fields(request, None))
            if inline.has_add_permission(request, None) or inline.can_delete or editable:
                problems.append(f"{label}: inline {type(inline).__name__} writes rows directly")
    assert not problems, "\n".join(problems)
