"""A JSON parser that bounds nesting depth before parsing (the API's default parser).

The standard library's `json` recurses once per level of nesting: a body nested 1,000 deep raises
`RecursionError` inside DRF's `JSONParser`, which is not a `ValueError`, so it escapes DRF as a 500. The depth is
therefore measured first, by a scan that does not recurse, and a body nested deeper than `MAX_JSON_DEPTH` is refused
with 400 and the API's error body before `json` ever sees it.
"""

from __future__ import annotations

import io
import re
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# API bodies are small objects ({"username", "password"}, {"value": ...}): a few levels at most.
MAX_JSON_DEPTH = 32

# A JSON string (escapes included) or one bracket. Strings are matched whole so brackets inside them do not count;
# the possessive quantifiers keep the match linear on long strings.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """Return the deepest nesting of arrays and objects in `text`, without recursion.

    On malformed input the number can differ from what a parser would see only after the first point where that
    input stops being JSON, and `json` stops there with an error: up to that point both read the same tokens.
    """
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif token == "]" or token == "}":
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, after a depth check that answers 400 (`json_too_deep`) instead of a `RecursionError`."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding} text.") from exc
        if json_depth(text) > self.max_depth:
            raise ParseError(f"JSON nested deeper than {self.max_depth} levels is refused.", code="json_too_deep")
        return super().parse(io.BytesIO(raw), media_type, parser_context)
