"""A URLconf with a view that fails, for the request_failed log line."""

from django.urls import path

from config.urls import urlpatterns as service_urls


def fail(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom", fail), *service_urls]
