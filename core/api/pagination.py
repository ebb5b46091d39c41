"""Cursor pages, newest first. Every page parameter is checked before it reaches a query:
a bad one is a 400 naming it, never a 500 or a silent default."""

import re
from collections.abc import Callable

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from core.api.fields import ASCII_DIGITS

# A position is a primary key (bigint), so at most 19 ASCII digits.
POSITION = re.compile(r"[0-9]{1,19}")


class NewestFirst(CursorPagination):
    """DRF's cursor format and links, over a keyset read: the position is an id."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # The whole-number grammar of every other input: str.isdigit() also accepts "²".
        if not ASCII_DIGITS.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
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
        if position is not None and not (POSITION.fullmatch(position) and int(position) < 2**63):
            raise invalid
        return cursor

    def paginate_keyset(self, fetch: Callable[..., list], request: Request) -> list:
        """paginate_queryset for `fetch(limit=, before=, after=)`, which reads the rows
        below (or, paging back, above) an id itself: a queryset cannot push the keyset and
        the limit into the per-account reads of list_history. The cursor's offset, only
        ever set for positions that are not unique, is ignored."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = (self.ordering,) if isinstance(self.ordering, str) else self.ordering
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        position = self.cursor_position()
        results = fetch(
            limit=self.page_size + 1,
            before=None if reverse else position,
            after=position if reverse else None,
        )
        self.page = results[: self.page_size]
        following = str(results[-1].pk) if len(results) > self.page_size else None
        current = None if position is None else str(position)
        if reverse:
            self.page.reverse()
            self.has_next, self.next_position = current is not None, current
            self.has_previous, self.previous_position = following is not None, following
        else:
            self.has_next, self.next_position = following is not None, following
            self.has_previous, self.previous_position = current is not None, current
        self.display_page_controls = self.has_previous or self.has_next
        return self.page

    def cursor_position(self) -> int | None:
        raw = self.cursor.position if self.cursor else None
        return None if raw is None else int(raw)  # checked by decode_cursor
