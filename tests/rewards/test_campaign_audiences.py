from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from rewards.campaigns import audience_cost, campaign_audience
from rewards.models import Campaign
from tests.backoffice.conftest import back_office_user
from tests.factories import create_user, earn, fund, wallet

pytestmark = pytest.mark.django_db


def segment(assets, **filters) -> Campaign:
    return Campaign.objects.create(
        name="segment",
        asset=assets["GOLD"],
        amount=5,
        audience=Campaign.Audience.SEGMENT,
        **filters,
    )


def test_segment_by_balance_range_of_an_asset(assets):
    poor, middle, rich = create_user(), create_user(), create_user()
    fund(wallet(middle, "COIN"), 500)
    fund(wallet(rich, "COIN"), 5000)

    holders = segment(assets, segment_asset=assets["COIN"], balance_min=1)
    middle_class = segment(assets, segment_asset=assets["COIN"], balance_min=100, balance_max=1000)

    assert set(campaign_audience(holders)) == {middle, rich}
    assert set(campaign_audience(middle_class)) == {middle}
    assert poor not in campaign_audience(holders)


def test_segment_by_joining_and_activity(assets):
    old, new = create_user(), create_user()
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=90))
    earn(old, 3)
    since = timezone.now().date() - timedelta(days=7)

    assert set(campaign_audience(segment(assets, joined_since=since))) == {new}
    assert set(campaign_audience(segment(assets, active_since=since))) == {old}
    both = segment(assets, joined_since=since, active_since=since)
    assert not campaign_audience(both).exists()


def test_audience_cost_counts_only_users_not_yet_paid(assets):
    users = sorted((create_user() for _ in range(4)), key=lambda user: user.pk)
    drive = Campaign.objects.create(name="c", asset=assets["COIN"], amount=250)
    drive.paid_up_to_user = users[1].pk

    assert audience_cost(drive) == (2, 500)


@pytest.fixture
def desk(client, assets):
    client.force_login(back_office_user("staff"))
    return client


def campaign_form(assets, **fields) -> dict:
    return {
        "name": "list drive",
        "asset": assets["GOLD"].pk,
        "amount": "5",
        "audience": Campaign.Audience.EXPLICIT,
        "min_earn_events": 1,
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
        **fields,
    }


def test_the_admin_offers_no_user_picker_and_shows_size_and_cost(desk, assets):
    create_user()
    page = desk.get("/admin/rewards/campaign/add/").content.decode()
    assert 'name="users"' not in page and 'name="audience_file"' in page

    drive = Campaign.objects.create(name="all", asset=assets["COIN"], amount=150)
    page = desk.get(f"/admin/rewards/campaign/{drive.pk}/change/").content.decode()
    assert '<span id="audience-size">1</span>' in page
    assert '<span id="audience-cost">1.50 COIN</span>' in page


def test_an_uploaded_list_sets_the_audience_and_bad_lines_are_named(desk, assets):
    alice, bob = create_user("alice@example.com"), create_user("bob@example.com")
    bad = SimpleUploadedFile("list.csv", b"user\nALICE@example.com\nghost@example.com\nx-1\n")

    response = desk.post("/admin/rewards/campaign/add/", campaign_form(assets, audience_file=bad))

    page = response.content.decode()
    assert "line 3: no active user ghost@example.com" in page
    assert "line 4: &#x27;x-1&#x27; is neither a user id nor an email" in page
    assert not Campaign.objects.exists()

    good = SimpleUploadedFile("list.csv", f"alice@example.com\n{bob.pk}\n".encode())
    response = desk.post("/admin/rewards/campaign/add/", campaign_form(assets, audience_file=good))

    assert response.status_code == 302
    drive = Campaign.objects.get()
    assert set(campaign_audience(drive)) == {alice, bob}


def test_the_list_audience_needs_a_list(desk, assets):
    response = desk.post("/admin/rewards/campaign/add/", campaign_form(assets))
    assert "Upload the list of users for this audience." in response.content.decode()


def test_balance_range_is_typed_in_the_segment_assets_units(desk, assets):
    response = desk.post(
        "/admin/rewards/campaign/add/",
        campaign_form(
            assets,
            audience=Campaign.Audience.SEGMENT,
            segment_asset=assets["COIN"].pk,
            balance_min="2.50",
            balance_max="",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    drive = Campaign.objects.get()
    assert (drive.balance_min, drive.balance_max) == (250, None)
