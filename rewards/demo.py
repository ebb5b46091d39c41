"""Demo data from fixtures/demo.json. Every step is an upsert or an idempotent posting,
so seeding twice changes nothing."""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import User
from accounts.services import grant_signup_bonus, register_user
from core.amounts import to_minor_units
from core.demo import demo_seeded
from ledger.models import SYSTEM_PURPOSES, AccountPurpose, Asset, ConversionRate, TransactionType
from ledger.services import credit, get_system_account
from rewards.models import Campaign, EarningRule, Item, Milestone, Reward, Task

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


def seed_demo(*, path: Path = DEMO_FILE) -> dict[str, int]:
    """Load the demo economy; return how many of each thing exist afterwards."""
    data = json.loads(path.read_text())
    with transaction.atomic():
        assets = _seed_assets(data["assets"])
        for rate in data["conversions"]:
            ConversionRate.objects.update_or_create(
                from_asset=assets[rate["from_asset"]],
                to_asset=assets[rate["to_asset"]],
                defaults={"from_amount": rate["from_amount"], "to_amount": rate["to_amount"]},
            )
        for asset in assets.values():
            for purpose in SYSTEM_PURPOSES:
                if purpose != AccountPurpose.DONATION:
                    get_system_account(purpose=purpose, asset=asset)
            for cause in data["donation_causes"]:
                get_system_account(purpose=AccountPurpose.DONATION, asset=asset, label=cause)
    users = {spec["email"]: _seed_user(spec) for spec in data["users"]}
    for topup in data.get("topups", []):
        wallet = (
            users[topup["email"]]
            .ledger_accounts.select_related("asset")
            .get(asset__code=topup["asset"])
        )
        credit(
            account=wallet,
            amount=to_minor_units(topup["amount"], scale=wallet.asset.scale),
            type=TransactionType.TOPUP,
            source=AccountPurpose.TREASURY,
            idempotency_key=f"demo-topup:{wallet.pk}",
            description="Demo top-up",
        )
    _seed_economy(data, assets)
    extra: dict[str, int] = {}
    for _, counts in demo_seeded.send(sender=seed_demo, users=users, assets=assets):
        if isinstance(counts, dict):  # apps above add their demo rows (payments)
            extra.update(counts)
    return {
        "assets": len(assets),
        "conversions": len(data["conversions"]),
        "users": len(users),
        "tasks": len(data["tasks"]),
        "items": len(data["items"]),
        "rewards": len(data["rewards"]),
        "earning rules": len(data["earning_rules"]),
        **extra,
    }


# model, the field that names a row, the fields that hold an asset code
ECONOMY = [
    ("tasks", Task, "title"),
    ("items", Item, "name"),
    ("rewards", Reward, "name"),
    ("earning_rules", EarningRule, "event"),
    ("milestones", Milestone, "event"),
    ("campaigns", Campaign, "name"),
]


def _seed_economy(data: dict, assets: dict[str, Asset]) -> None:
    """Create what is missing, by name; rows staff have changed since are left alone."""
    with transaction.atomic():
        for section, model, name_field in ECONOMY:
            for spec in data.get(section, []):
                fields = {**spec, "asset": assets[spec["asset"]]}
                lookup = {name_field: fields.pop(name_field)}
                if model is Milestone:
                    lookup["count"] = fields.pop("count")
                model.objects.get_or_create(**lookup, defaults=fields)


def _seed_assets(specs: list[dict]) -> dict[str, Asset]:
    assets = {}
    for spec in specs:
        fields = {key: value for key, value in spec.items() if key != "code"}
        assets[spec["code"]], _ = Asset.objects.update_or_create(code=spec["code"], defaults=fields)
    return assets


def _seed_user(spec: dict) -> User:
    user = User.objects.filter(email=spec["email"]).first()
    if spec.get("superuser"):
        if user is None:
            user = User.objects.create_superuser(
                email=spec["email"], password=spec["password"], name=spec["name"]
            )
        return user
    if user is None:
        return register_user(email=spec["email"], password=spec["password"], name=spec["name"])
    with transaction.atomic(durable=True):
        grant_signup_bonus(user=user)  # a no-op when already granted
    return user
