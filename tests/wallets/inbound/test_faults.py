"""consume_events as its own process through a database outage and a broker restart:
no message lost, none applied twice. The outage is real for the consumer (its
connections to PostgreSQL are cut and new ones refused, by a proxy in between); the
broker closes the consumer's connection as a restart would (rabbitmqctl), leaving the
RabbitMQ other processes use running."""

import shutil
import signal
import subprocess
import time

import psycopg
import pytest
from django.db import connection

from ledger.models import Transaction
from tests.wallets.inbound.conftest import finalized, wait_for
from tests.wallets.inbound.proxy import TcpProxy
from wallets.models import InboxMessage

# A proxy in front of PostgreSQL, pg_locks and advisory locks: PostgreSQL only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def topup(external_id: str, to: int) -> dict:
    return {"transaction_id": external_id, "kind": "topup", "to": to, "asset": "GOLD",
            "amount": "5"}  # fmt: skip


def posted(reference: str) -> int:
    return Transaction.objects.filter(reference=reference).count()


def stop(consumer: subprocess.Popen) -> tuple[str, str]:
    """SIGTERM, as docker stop sends: the consumer finishes and prints its summary."""
    consumer.send_signal(signal.SIGTERM)
    out, err = consumer.communicate(timeout=20)
    assert consumer.returncode == 0, err
    return out, err


def session() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_a_database_outage_leaves_the_message_in_the_queue_and_it_applies_once_after(
    broker, alice, assert_reconciles
):
    # given: a consumer reaching PostgreSQL through a proxy, working
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"], int(db["PORT"])))
    consumer = broker.start_consumer(
        database_url=f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    )
    broker.publish("transaction.completed", topup("before", alice.pk))
    wait_for(lambda: posted("before"), "the first message applied")

    # when: the database goes away, and a message comes
    proxy.cut()
    broker.publish("transaction.completed", topup("during", alice.pk), id="during-1")

    # then: it is back in the queue, unacknowledged, and nothing was applied
    wait_for(lambda: broker.depth() == 1, "the message back in the queue")
    time.sleep(2)  # the consumer keeps looking for the database meanwhile
    assert broker.depth() == 1
    assert consumer.poll() is None
    assert not posted("during")

    # when: the database is back
    proxy.restore()

    # then: the message is applied, once
    wait_for(lambda: posted("during"), "the message applied after the outage")
    wait_for(lambda: broker.depth() == 0, "the queue empty")
    out, err = stop(consumer)
    assert out.splitlines()[-1] == "processed 2, duplicates 0, retried 0, dead-lettered 0"
    assert "database unavailable" in err
    assert posted("during") == 1
    assert InboxMessage.objects.filter(message_id="during-1").count() == 1
    assert [event["status"] for event in finalized()] == ["completed", "completed"]
    assert_reconciles()


@pytest.mark.skipif(not shutil.which("rabbitmqctl"), reason="needs rabbitmqctl")
def test_a_connection_closed_by_the_broker_mid_message_loses_and_repeats_nothing(
    broker, alice, assert_reconciles
):
    # given: a consumer holding a message whose handling waits (this test holds the
    # lock on its message id) and so is not acknowledged yet
    consumer = broker.start_consumer()
    lock = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
    with session() as holder:
        holder.execute(lock, ["inbox:held-1"])
        broker.publish("transaction.completed", topup("held", alice.pk), id="held-1")
        wait_for(lambda: waiting_on_a_lock(holder), "the consumer waiting on the message's lock")

        # when: the broker closes the consumer's connection (as a restart does), then the
        # handling goes on and commits
        close_broker_connection(consumer.pid)
        holder.execute("SELECT pg_advisory_unlock_all()")

    # then: the consumer reconnects; the message the broker requeued comes again and
    # changes nothing; a message sent after is applied too
    broker.publish("transaction.completed", topup("after", alice.pk))
    wait_for(lambda: posted("after"), "a message applied after the reconnection")
    wait_for(lambda: InboxMessage.objects.count() == 2 and broker.depth() == 0, "all settled")
    out, err = stop(consumer)
    assert "broker unavailable" in err
    assert out.splitlines()[-1] == "processed 1, duplicates 1, retried 0, dead-lettered 0"
    assert posted("held") == posted("after") == 1
    assert len(finalized()) == 2
    assert_reconciles()


def test_sigterm_stops_an_idle_consumer_at_once(broker, assets):
    consumer = broker.start_consumer()
    started = time.monotonic()

    out, _ = stop(consumer)

    assert time.monotonic() - started < 5
    assert out.splitlines()[-1] == "processed 0, duplicates 0, retried 0, dead-lettered 0"
    assert broker.consumer_count() == 0


def waiting_on_a_lock(holder: psycopg.Connection) -> bool:
    (waiting,) = holder.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return waiting > 0


def close_broker_connection(pid: int) -> None:
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    (connection_pid,) = [
        line.split("\t")[0] for line in listing.splitlines() if f' pid {pid}"' in line
    ]
    subprocess.run(
        ["rabbitmqctl", "close_connection", connection_pid, "test: broker restart", "-q"],
        check=True,
        timeout=60,
    )
