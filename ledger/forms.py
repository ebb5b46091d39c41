"""Amounts in back-office forms: typed and shown in the asset's units, stored in minor
units, read by the one grammar in `core.amounts`."""

from collections.abc import Callable
from typing import ClassVar

from django import forms
from unfold.widgets import UnfoldAdminTextInputWidget

from core.amounts import format_amount, to_minor_units
from core.errors import ValidationError
from ledger.models import Asset

UNITS_HELP = "In the asset's units, e.g. 10 or 2.50."


class AmountField(forms.CharField):
    """The text of an amount, kept as typed: whitespace is refused by the grammar, not
    trimmed. The form parses it once it knows the asset (see `clean_amount`)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", UNITS_HELP)
        kwargs.setdefault("widget", UnfoldAdminTextInputWidget)
        super().__init__(strip=False, **kwargs)


def clean_amount(
    form: forms.Form,
    field: str,
    asset: Asset | None,
    parse: Callable[..., int] = to_minor_units,
) -> int | None:
    """Parse form.cleaned_data[field] in the asset's units; on a bad amount (or no asset)
    record the error on the field and return None."""
    text = form.cleaned_data.get(field)
    if text is None:
        return None
    if asset is None:
        form.add_error(field, "Pick a valid asset: the amount is read in its units.")
        return None
    try:
        return parse(text, scale=asset.scale)
    except ValidationError as error:
        form.add_error(field, error.message)
        return None


class AmountsModelForm(forms.ModelForm):
    """A model form whose minor-unit fields in `amounts` (amount field -> the field naming
    its asset) are typed and shown in the asset's units."""

    amounts: ClassVar[dict[str, str]] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field, asset_field in self.amounts.items():
            if field not in self.fields:
                continue
            shown = self.fields[field]
            self.fields[field] = AmountField(label=shown.label, required=shown.required)
            minor = self.initial.get(field)
            if isinstance(minor, int) and getattr(self.instance, f"{asset_field}_id", None):
                asset = getattr(self.instance, asset_field)
                self.initial[field] = format_amount(minor, scale=asset.scale)

    def clean(self) -> dict:
        data = super().clean()
        for field, asset_field in self.amounts.items():
            if field in self.fields:
                minor = clean_amount(self, field, self._asset(asset_field))
                if minor is not None:
                    data[field] = minor
        return data

    def _asset(self, asset_field: str) -> Asset | None:
        """The asset chosen in the form, or the row's when the form does not offer it."""
        if asset_field in self.fields:
            return self.cleaned_data.get(asset_field)
        if getattr(self.instance, f"{asset_field}_id", None) is None:
            return None
        return getattr(self.instance, asset_field)


def amounts_form(amounts: dict[str, str]) -> type[AmountsModelForm]:
    """An AmountsModelForm for the given amount fields, for a ModelAdmin's `form`."""
    return type("AmountsForm", (AmountsModelForm,), {"amounts": amounts})
