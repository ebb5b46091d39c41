from django.contrib.auth import authenticate
from django.db import IntegrityError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    LoginSerializer,
    RefreshSerializer,
    SignupResponseSerializer,
    SignupSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.errors import InvalidCredentials
from accounts.services import issue_token_pair, register_user, rotate_refresh_token
from core.api import schema
from core.api.throttles import AuthThrottle
from ledger.selectors import list_user_accounts


class PublicAuthView(APIView):
    """Reached without a token, and throttled harder than the rest of the API."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]


class SignupView(PublicAuthView):
    @extend_schema(
        operation_id="auth_signup",
        request=SignupSerializer,
        responses={201: SignupResponseSerializer, 400: schema.BAD_REQUEST, 429: schema.THROTTLED},
        examples=[
            OpenApiExample(
                "signup",
                value={"email": "ana@example.com", "password": "correct horse 42", "name": "Ana"},
                request_only=True,
            )
        ],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = register_user(**data.validated_data)
        except IntegrityError:  # the same email signed up at the same moment
            raise serializers.ValidationError(
                {"email": ["A user with this email already exists."]}
            ) from None
        wallets = list_user_accounts(user_id=user.pk)
        body = SignupResponseSerializer({"user": user, "wallets": wallets}).data
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    @extend_schema(
        operation_id="auth_login",
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            400: schema.BAD_REQUEST,
            401: schema.error("Wrong email or password", "invalid_credentials", "Wrong email."),
            429: schema.THROTTLED,
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials()
        return Response(issue_token_pair(user=user))


class RefreshView(PublicAuthView):
    @extend_schema(
        operation_id="auth_refresh",
        request=RefreshSerializer,
        responses={
            200: TokenPairSerializer,
            400: schema.BAD_REQUEST,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """Trade a refresh token for a new pair, once; reusing an old one logs the user out."""
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(rotate_refresh_token(refresh=data.validated_data["refresh"]))


class MeView(APIView):
    @extend_schema(
        operation_id="auth_me",
        responses={200: UserSerializer, 401: schema.UNAUTHENTICATED, 429: schema.THROTTLED},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)
