"""Input PostgreSQL cannot store, or Python cannot walk, is refused at the edge, as a 400,
before any view runs."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any real request; every layer after the parser (validation, the idempotency
# fingerprint, JSON columns) then walks the body without meeting Python's recursion limit.
MAX_JSON_DEPTH = 32


def storable_text(value: str) -> bool:
    """No NUL characters (PostgreSQL text refuses them) and valid UTF-8 (no lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(data) -> None:
    """Walk the parsed body without recursion: bounded depth, storable text only."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if not storable_text(value):
                raise ParseError("Text may not contain NUL characters or unpaired surrogates.")
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ParseError(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.")
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.") from None
        _check(data)
        return data
