from django.urls import re_path


def api_path(pattern: str, view, name: str):
    """A route that answers with and without its trailing slash, never redirecting."""
    return re_path(rf"^{pattern}/?$", view, name=name)
