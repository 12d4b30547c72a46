"""Registries of plug-in classes named in settings: the one loader for harvester kinds and DCAT profiles.

Each registry is one setting, a mapping of name -> dotted path of a class (`ATLAS_HARVESTER_KINDS`,
`ATLAS_DCAT_PROFILES` in config/settings.py), so a new harvester kind or profile is its module plus one line
there, and nothing else in the code lists them.

Why settings and not Python entry points (ckanext-dcat's `ckan.rdf.profiles`): the atlas is deployed from its
checkout, not installed as a distribution, so entry points would need package metadata (`pip install -e .`)
that nothing else requires, and a stale `.egg-info` would silently keep an old list; a settings mapping is read
where the deployment is configured, follows the house pattern for pluggable backends (`ATLAS_SEARCH_BACKEND`,
Django's cache and e-mail backends) and can be changed per test with `override_settings`.

A registry behaves as a read-only mapping of name -> class. Names are read from settings on every access (so
`override_settings` takes effect at once); a class is imported the first time its name is looked up, and a
path that cannot be imported, or does not name a subclass of the registry's base, raises ImproperlyConfigured
naming the setting, the entry and the path. `check_registries` (a Django system check) loads every entry of
every registry at start-up (`check`, `migrate`, `runserver`), so a typo stops the deployment, not a harvest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from django import conf
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

T = TypeVar("T")

_REGISTRIES: list[Registry[Any]] = []


class Registry(Mapping[str, type[T]], Generic[T]):
    """Name -> class, from the mapping of dotted paths in the setting `setting`; every class subclasses `base`."""

    def __init__(
        self, setting: str, *, base: type[T], what: str, validate: Callable[[str, type[T]], str | None] | None = None
    ) -> None:
        self.setting = setting
        self.base = base
        self.what = what
        self.validate = validate
        self._loaded: dict[tuple[str, str], type[T]] = {}
        _REGISTRIES.append(self)

    def paths(self) -> dict[str, str]:
        """The setting as it is now: name -> dotted path (ImproperlyConfigured when it is not such a mapping)."""
        return registered_paths(self.setting, what=self.what)

    def __getitem__(self, name: str) -> type[T]:
        path = self.paths()[name]  # KeyError for an unknown name, as a mapping does
        key = (name, path)
        cls = self._loaded.get(key)
        if cls is None:
            cls = self._loaded[key] = self._import(name, path)
        return cls

    def _import(self, name: str, path: str) -> type[T]:
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"{self.setting}[{name!r}] = {path!r} cannot be imported ({exc}); fix the dotted path of the "
                f"{self.what} class"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise ImproperlyConfigured(
                f"{self.setting}[{name!r}] = {path!r} is not a {self.what} class (a subclass of "
                f"{self.base.__module__}.{self.base.__qualname__})"
            )
        problem = self.validate(name, cls) if self.validate is not None else None
        if problem:
            raise ImproperlyConfigured(f"{self.setting}[{name!r}] = {path!r}: {problem}")
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths())

    def __len__(self) -> int:
        return len(self.paths())

    def __contains__(self, name: object) -> bool:
        return name in self.paths()

    def load_all(self) -> dict[str, type[T]]:
        """Every entry, imported: the first bad one raises ImproperlyConfigured."""
        return {name: self[name] for name in self.paths()}

    def __repr__(self) -> str:
        return f"<Registry {self.setting}>"


def registered_paths(setting: str, *, what: str) -> dict[str, str]:
    """A registry setting as it is now, checked: name -> dotted path, without importing anything.

    For readers that need the names only (the catalogue's `Source.kind` choices name the harvester kinds
    without importing a harvester).
    """
    try:
        value = getattr(conf.settings, setting)  # no default: an unset registry is a configuration error
    except AttributeError:
        raise ImproperlyConfigured(f"{setting} is not set: it lists the {what}s (name -> dotted path)") from None
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"{setting} must map each {what} name to a dotted path, not {type(value).__name__}")
    for name, path in value.items():
        if not isinstance(name, str) or not name or not isinstance(path, str) or "." not in path:
            raise ImproperlyConfigured(f"{setting}[{name!r}] = {path!r}: a {what} is a name and the dotted path of "
                                       "its class")
    return dict(value)


@checks.register("atlas")
def check_registries(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every entry of every registry loads (catalogue.E100 per bad entry).

    The profile registry is imported here; the harvester kinds' registry is imported with `harvesters.admin` when
    Django starts (the catalogue does not import harvesters).
    """
    import catalogue.dcat.profiles  # noqa: F401 - defines PROFILES

    errors: list[checks.CheckMessage] = []
    for registry in _REGISTRIES:
        try:
            names = list(registry.paths())
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id="catalogue.E100"))
            continue
        for name in names:
            try:
                registry[name]
            except ImproperlyConfigured as exc:
                errors.append(checks.Error(str(exc), id="catalogue.E100"))
    return errors
