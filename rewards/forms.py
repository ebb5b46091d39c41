"""The campaign form: the audience is a segment or an uploaded list of users, never a
picker over every user (which stops loading past a few thousand)."""

import csv
import io
from collections.abc import Iterator

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User
from core.amounts import format_amount
from ledger.forms import AmountField, amounts_form, clean_amount
from rewards.models import Campaign

LOOKUP_CHUNK = 5000
SHOWN_ERRORS = 20


def read_audience(upload: UploadedFile) -> tuple[set[int], list[str]]:
    """User ids from a file with one user id or email per line (the first column of a
    CSV; a header line is skipped): (ids, line-numbered errors). Streams the file."""
    ids: set[int] = set()
    errors: list[str] = []
    pending: dict[str, int] = {}  # email -> line
    numbers: dict[int, int] = {}  # id -> line

    def resolve() -> None:
        found = dict(
            User.objects.filter(email__in=list(pending), is_active=True).values_list("email", "pk")
        )
        for email, line in pending.items():
            if email in found:
                ids.add(found[email])
            else:
                errors.append(f"line {line}: no active user {email}")
        known = set(
            User.objects.filter(pk__in=list(numbers), is_active=True).values_list("pk", flat=True)
        )
        for pk, line in numbers.items():
            if pk in known:
                ids.add(pk)
            else:
                errors.append(f"line {line}: no active user with id {pk}")
        pending.clear()
        numbers.clear()

    for line, cell in _first_cells(upload):
        if "@" in cell:
            pending.setdefault(cell.lower(), line)
        elif cell.isdigit():
            numbers.setdefault(int(cell), line)
        elif line == 1:
            continue  # a header
        else:
            errors.append(f"line {line}: {cell!r} is neither a user id nor an email")
        if len(pending) + len(numbers) >= LOOKUP_CHUNK:
            resolve()
    resolve()
    return ids, sorted(errors, key=lambda error: int(error.split(":")[0][5:]))


def _first_cells(upload: UploadedFile) -> Iterator[tuple[int, str]]:
    text = io.TextIOWrapper(upload.open("rb"), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    for row in reader:
        cell = row[0].strip() if row else ""
        if cell:
            yield reader.line_num, cell


class CampaignForm(amounts_form({"amount": "asset"})):  # type: ignore[misc]
    audience_file = forms.FileField(
        required=False,
        help_text="For the uploaded-list audience: one user id or email per line (or the "
        "first column of a CSV). It replaces the list saved before.",
    )
    balance_min = AmountField(required=False, help_text="In the segment asset's units.")
    balance_max = AmountField(required=False, help_text="In the segment asset's units.")

    class Meta:
        model = Campaign
        exclude = ["users"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        asset = self.instance.segment_asset if self.instance.segment_asset_id else None
        for name in ("balance_min", "balance_max"):
            minor = getattr(self.instance, name)
            if asset is not None and minor is not None:
                self.initial[name] = format_amount(minor, scale=asset.scale)
        self.audience_ids: set[int] | None = None

    def clean(self) -> dict:
        data = super().clean()
        asset = data.get("segment_asset")
        for name in ("balance_min", "balance_max"):
            if data.get(name) in ("", None):
                data[name] = None
            elif (minor := clean_amount(self, name, asset)) is not None:
                data[name] = minor
        upload = data.get("audience_file")
        if upload:
            ids, errors = read_audience(upload)
            if errors:
                shown = errors[:SHOWN_ERRORS]
                more = len(errors) - len(shown)
                self.add_error("audience_file", [*shown, *([f"and {more} more"] if more else [])])
            self.audience_ids = ids
        audience = data.get("audience")
        if audience == Campaign.Audience.EXPLICIT and not upload and not self._has_list():
            self.add_error("audience_file", "Upload the list of users for this audience.")
        return data

    def _has_list(self) -> bool:
        return bool(self.instance.pk) and self.instance.users.exists()

    def save_audience(self, campaign: Campaign) -> None:
        """Store the uploaded list (many rows at once, not one query per user)."""
        if self.audience_ids is None:
            return
        through = Campaign.users.through
        with transaction.atomic():
            through.objects.filter(campaign=campaign).delete()
            rows = (through(campaign=campaign, user_id=pk) for pk in sorted(self.audience_ids))
            through.objects.bulk_create(rows, batch_size=LOOKUP_CHUNK)
