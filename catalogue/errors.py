"""Domain errors with stable codes: raised by services, translated at the edges (API handler, harvest stage, CLI).

Every code is listed once, with its meaning, in `catalogue.error_codes` (docs/errors.md).
"""

from __future__ import annotations

from django.core.management.base import CommandError


class AtlasError(Exception):
    """Base of the atlas's domain errors. `code` is stable and documented; `message` is for people."""

    code = "atlas_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class ValidationError(AtlasError):
    code = "invalid"


class NotFound(AtlasError):
    code = "not_found"
    status = 404


class Conflict(AtlasError):
    code = "conflict"
    status = 409


class VocabularyError(AtlasError):
    code = "vocabulary_invalid"


def command_error(code: str, message: str, *, returncode: int = 1) -> CommandError:
    """The CLI edge: a management command's error ends with the code the API and the job report use for it."""
    return CommandError(f"{message} [{code}]", returncode=returncode)


def command_error_from(exc: AtlasError) -> CommandError:
    """Translate a domain error for a management command (`message [code]`)."""
    return command_error(exc.code, exc.message)
