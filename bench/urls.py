"""The service's URLs plus /bench/hello: the floor a DRF request stands on."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as service_urls


class HelloView(APIView):
    """REST_FRAMEWORK's defaults, as every API view has them: JWTAuthentication (which
    reads the user row), IsAuthenticated, the ip and user throttles, the JSON renderer."""

    def get(self, request: Request) -> Response:
        return Response({"hello": "world"})


urlpatterns = [path("bench/hello", HelloView.as_view()), *service_urls]
