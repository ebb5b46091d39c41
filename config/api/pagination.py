"""Cursor pages, newest first. Every page parameter is checked before it reaches a query:
a bad one is a 400 naming it, never a 500 or a silent default."""

import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() refuses or reads.
PAGE_SIZE = re.compile(r"[0-9]{1,3}")
# A position is a primary key (bigint), so at most 19 ASCII digits.
POSITION = re.compile(r"[0-9]{1,19}")


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not PAGE_SIZE.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """A cursor this API did not issue (garbage, or forged with a position that is not an
        id) is the client's mistake."""
        invalid = ValidationError({self.cursor_query_param: ["Not a cursor this API issued."]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        position = cursor.position if cursor is not None else None
        if position is not None and not POSITION.fullmatch(position):
            raise invalid
        return cursor
