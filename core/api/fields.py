"""Input fields stricter than DRF's own."""

import re

from rest_framework import serializers

ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


class WholeNumberField(serializers.IntegerField):
    """A JSON integer, or a string of ASCII digits (query parameters are text).

    DRF's IntegerField also reads "1.0", " 7 ", 7.0 and non-ASCII digits such as "٣"
    or "²"; a client sending those has made a mistake it should hear about.
    """

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, str) and ASCII_DIGITS.fullmatch(data):
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
