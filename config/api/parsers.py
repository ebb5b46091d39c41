"""Input PostgreSQL cannot store is refused at the edge, as a 400, before any view runs."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def storable_text(value: str) -> bool:
    """No NUL characters (PostgreSQL text refuses them) and valid UTF-8 (no lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(value) -> None:
    if isinstance(value, str):
        if not storable_text(value):
            raise ParseError("Text may not contain NUL characters or unpaired surrogates.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check(data)
        return data
