"""What each message type's `data` must hold, checked before anything is written.

Users are named by id (a JSON integer) or by email (a string); amounts follow the one
amount grammar (core.amounts), parsed with the asset's scale once the asset is known.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from core.api.fields import WholeNumberField
from wallets.inbound.messages import PoisonMessage

KINDS = ("topup", "transfer", "payment")
# Who must be named for each kind: a top-up pays `to`, a payment is made by `from`.
PARTIES = {"topup": ("to",), "transfer": ("from", "to"), "payment": ("from",)}
MAX_EXTERNAL_ID = 200


class UserRefField(serializers.Field):
    """A user by id (a JSON integer) or by email (a string); returns ("id", int) or
    ("email", normalised address). Whether the user exists is the handler's to check."""

    default_error_messages = {"invalid": "A user is named by an integer id or an email address."}

    def to_internal_value(self, data: object) -> tuple[str, int | str]:
        if isinstance(data, int) and not isinstance(data, bool) and data > 0:
            return ("id", data)
        if isinstance(data, str):
            try:
                validate_email(data)
            except DjangoValidationError:
                self.fail("invalid")
            return ("email", data.strip().lower())
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value[1]


class AmountValueField(serializers.Field):
    """An amount as sent: parsed later (core.amounts.to_minor_units), with the asset's scale."""

    default_error_messages = {
        "invalid": "Amount must be a decimal string (or an integer), not a float."
    }

    def to_internal_value(self, data: object) -> int | str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


class SignupData(serializers.Serializer):
    user_id = WholeNumberField(required=False, min_value=1)
    email = serializers.EmailField(required=False, max_length=254)
    name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "user_id" not in attrs and "email" not in attrs:
            raise serializers.ValidationError("Name the user by `user_id` or `email`.")
        if "email" in attrs:
            attrs["email"] = attrs["email"].lower()
        return attrs


class CompletedData(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=MAX_EXTERNAL_ID)
    kind = serializers.ChoiceField(choices=KINDS)
    asset = serializers.CharField(max_length=32)
    amount = AmountValueField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `from` is a Python keyword, so these two cannot be declared as attributes.
        fields["from"] = UserRefField(required=False)
        fields["to"] = UserRefField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        missing = {
            party: ["Required for this kind."]
            for party in PARTIES[attrs["kind"]]
            if party not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class FailedData(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=MAX_EXTERNAL_ID)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


def validated(serializer_class: type[serializers.Serializer], data: dict) -> dict[str, Any]:
    """The message's data, checked; raises PoisonMessage listing every problem."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise PoisonMessage(f"validation_error: {json.dumps(serializer.errors)}")
    return dict(serializer.validated_data)
