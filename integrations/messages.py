"""The sentence a notification shows, written when it is read, in the reader's language
(`translation.override` around `render`). Amounts stay the event's decimal strings."""

from typing import Any

from django.utils.translation import gettext

from integrations.models import Notification


def render(notification: Notification) -> str:
    params: dict[str, Any] = notification.params or {}
    entries = [entry for entry in params.get("entries", []) if isinstance(entry, dict)]
    amounts = ", ".join(
        f"{str(entry.get('amount', '')).removeprefix('-')} {entry.get('asset', '')}"
        for entry in entries
    )
    changes = ", ".join(
        f"{_signed(str(entry.get('amount', '')))} {entry.get('asset', '')}" for entry in entries
    )
    values = {"amounts": amounts, "changes": changes, "asset": params.get("asset", "")}
    templates = {
        "funds_added": gettext("%(amounts)s added to your wallet."),
        "funds_withdrawn": gettext("%(amounts)s sent from your wallet."),
        "payment_processed": gettext("Payment of %(amounts)s processed."),
        "gamification_reward": gettext("You earned %(amounts)s."),
        "balance_updated": gettext("Your balance changed: %(changes)s."),
        "frozen": gettext("Your %(asset)s wallet was frozen."),
        "unfrozen": gettext("Your %(asset)s wallet is active again."),
    }
    template = templates.get(notification.kind)
    if template is None:
        return gettext("Your wallet was updated.")
    return template % values


def _signed(amount: str) -> str:
    return amount if amount.startswith("-") else f"+{amount}"
