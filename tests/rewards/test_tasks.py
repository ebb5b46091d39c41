from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import LimitReached
from rewards.models import Task, TaskCompletion
from rewards.services import complete_task
from tests.api import API, client_for, error_code
from tests.factories import wallet
from tests.threads import outcomes, run_in_threads


def make_task(assets, **fields) -> Task:
    return Task.objects.create(title="t", asset=assets["SILVER"], reward=10, **fields)


@pytest.mark.django_db
def test_a_once_task_credits_once(alice, assets):
    task = make_task(assets, kind=Task.Kind.ONCE)

    complete_task(task_id=task.pk, user=alice)
    with pytest.raises(LimitReached):
        complete_task(task_id=task.pk, user=alice)

    assert wallet(alice, "SILVER").balance == 10


@pytest.mark.django_db
def test_a_daily_task_credits_once_per_day(alice, assets):
    task = make_task(assets, kind=Task.Kind.DAILY)
    with time_machine.travel("2026-06-01 09:00Z"):
        complete_task(task_id=task.pk, user=alice)
        with pytest.raises(LimitReached):
            complete_task(task_id=task.pk, user=alice)
    with time_machine.travel("2026-06-02 09:00Z"):
        complete_task(task_id=task.pk, user=alice)

    assert wallet(alice, "SILVER").balance == 20


@pytest.mark.django_db
def test_a_repeatable_task_is_capped_per_period(alice, assets):
    task = make_task(assets, kind=Task.Kind.REPEATABLE, period="WEEK", cap=3)
    with time_machine.travel("2026-06-01 09:00Z"):  # a Monday
        for _ in range(3):
            complete_task(task_id=task.pk, user=alice)
        with pytest.raises(LimitReached) as refused:
            complete_task(task_id=task.pk, user=alice)
    with time_machine.travel("2026-06-08 09:00Z"):  # the next week
        complete_task(task_id=task.pk, user=alice)

    assert refused.value.details == {"period": "2026-W23", "cap": 3}
    assert wallet(alice, "SILVER").balance == 40


@pytest.mark.django_db
def test_a_task_outside_its_window_is_refused(alice, assets):
    task = make_task(assets, ends_at=timezone.now() - timedelta(hours=1))

    response = client_for(alice).post(f"{API}tasks/{task.pk}/complete/")

    assert response.status_code == 409
    assert error_code(response) == "limit_reached"


@pytest.mark.django_db
def test_completing_an_unknown_or_inactive_task_is_404(alice, assets):
    task = make_task(assets, active=False)

    assert client_for(alice).post(f"{API}tasks/{task.pk}/complete").status_code == 404
    assert client_for(alice).post(f"{API}tasks/99999/complete").status_code == 404


@pytest.mark.django_db
def test_the_task_list_shows_active_tasks_with_decimal_rewards(alice, assets):
    make_task(assets)
    make_task(assets, active=False)

    tasks = client_for(alice).get(f"{API}tasks").json()

    assert len(tasks) == 1
    assert tasks[0]["reward"] == "10"


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_of_a_once_task_credit_once(alice, assets, assert_reconciles):
    task = make_task(assets, kind=Task.Kind.ONCE)

    results = run_in_threads(8, lambda _: complete_task(task_id=task.pk, user=alice).pk)

    assert outcomes(results) == {"int": 1, "limit_reached": 7}
    assert TaskCompletion.objects.count() == 1
    assert wallet(alice, "SILVER").balance == 10
    assert_reconciles()
