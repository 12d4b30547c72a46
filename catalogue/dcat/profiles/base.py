"""`BaseProfile`: what every profile has (its tables, set by subclasses) and the operations that only read them."""

from __future__ import annotations

from typing import ClassVar

from catalogue.dcat.profiles.core import EmitContext, Field, Problem, clean_fields
from catalogue.descriptors import DatasetDescriptor


class BaseProfile:
    """What every profile has: its tables (set by subclasses) and the operations that only read them."""

    NAME: ClassVar[str]
    LABEL: ClassVar[str]
    DATASET_CLASS: ClassVar[str]
    DISTRIBUTION_CLASS: ClassVar[str]
    AGENT_CLASS: ClassVar[str]
    CATALOGUE_CLASS: ClassVar[str]
    CATALOGUE_DATASET: ClassVar[str]
    IDENTIFIER: ClassVar[str | None]
    FIELDS: ClassVar[tuple[Field, ...]]
    DISTRIBUTION_FIELDS: ClassVar[tuple[Field, ...]]
    AGENT_FIELDS: ClassVar[tuple[Field, ...]]
    CONTACT_FIELDS: ClassVar[tuple[Field, ...]]
    CATALOGUE_FIELDS: ClassVar[tuple[Field, ...]]

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """Descriptor attributes this profile writes (for the documented "not exported" normalisation)."""
        return frozenset(n for f in cls.FIELDS if f.export for n in f.names)

    @classmethod
    def clean(cls, descriptor: DatasetDescriptor, ctx: EmitContext) -> tuple[DatasetDescriptor, list[Problem]]:
        """The descriptor without the values this profile cannot write validly, and what was dropped."""
        problems: list[Problem] = []
        changes = clean_fields(cls.FIELDS, descriptor, ctx, problems, "")
        return (descriptor.replace(**changes) if changes else descriptor), problems

    @classmethod
    def missing(cls, descriptor: DatasetDescriptor) -> list[str]:
        """What the dataset lacks to be exported with this profile (nothing: the atlas mints the rest)."""
        return []

    @classmethod
    def fill_mandatory(cls, descriptor: DatasetDescriptor, subject: str) -> tuple[DatasetDescriptor, list[Problem]]:
        """Fill what the profile's shapes require and the descriptor lacks (nothing for schema.org)."""
        return descriptor, []
