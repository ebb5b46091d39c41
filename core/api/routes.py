from django.urls import re_path

# A primary key in a path: a bigint has at most 19 digits. Unbounded, a path of thousands
# of digits would reach int(), which refuses more than 4,300 (a 500, not a 404).
PK = "[0-9]{1,19}"


def api_path(pattern: str, view, name: str):
    """A route that answers with and without its trailing slash, never redirecting."""
    return re_path(rf"^{pattern}/?$", view, name=name)
