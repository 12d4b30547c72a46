"""Domain errors with stable codes: raised by services, translated at the edges (API handler, harvest stage)."""

from __future__ import annotations


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
