"""Helpers for API tests: clients that carry a real JWT."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

API = "/api/v1/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def error_code(response) -> str:
    return response.json()["error"]["code"]
