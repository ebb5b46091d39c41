import pytest

from rewards.demo import seed_demo


@pytest.fixture
def economy(db):
    """The demo economy from fixtures/demo.json: assets, tasks, items, rewards, rules, users."""
    seed_demo()
