"""A private exchange and queue on the RabbitMQ of this machine for each test, and the
consumer run over it: in this process (`consume`) or as its own `manage.py` process."""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pika
import pytest
from django.core.management import call_command
from django.db import connection

from ledger.models import OutboxEvent
from wallets.inbound.consumer import Topology

AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
ROOT = Path(__file__).resolve().parents[3]
MAX_ATTEMPTS = 3


def envelope(type: str, data: dict[str, Any], id: str | None = None) -> dict[str, Any]:
    return {
        "id": id or uuid.uuid4().hex,
        "type": type,
        "occurred_at": "2026-01-01T12:00:00Z",
        "version": 1,
        "data": data,
    }


@dataclass
class Broker:
    exchange: str
    queue: str
    channel: Any
    settings: Any
    consumers: list[subprocess.Popen] = field(default_factory=list)

    def publish(
        self,
        type: str,
        data: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        body: bytes | None = None,
        routing_key: str | None = None,
        properties: pika.BasicProperties | None = None,
    ) -> str:
        """Publish a message as another service would; return its id."""
        message = envelope(type, data or {}, id)
        self.channel.basic_publish(
            self.exchange,
            routing_key or type,
            body if body is not None else json.dumps(message).encode(),
            properties or pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
        return message["id"]

    def options(self, *extra: str) -> list[str]:
        return ["--exchange", self.exchange, "--queue", self.queue, "--retry-delay", "0",
                "--max-attempts", str(MAX_ATTEMPTS), *extra]  # fmt: skip

    def consume(self, *extra: str) -> str:
        """Run consume_events here until the queue stays empty; return what it printed."""
        out = StringIO()
        call_command("consume_events", *self.options("--drain", *extra), stdout=out)
        return out.getvalue()

    def depth(self, queue: str | None = None) -> int:
        """Messages ready in the queue (not those delivered and not yet acknowledged)."""
        return self.channel.queue_declare(queue or self.queue, passive=True).method.message_count

    def consumer_count(self) -> int:
        return self.channel.queue_declare(self.queue, passive=True).method.consumer_count

    def take_all(self, queue: str) -> list[tuple[bytes, dict[str, Any]]]:
        taken = []
        while True:
            method, properties, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return taken
            taken.append((body, properties.headers or {}))

    def start_consumer(self, *extra: str, database_url: str | None = None) -> subprocess.Popen:
        """`manage.py consume_events` as its own process, on the test database."""
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url
            or f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "AMQP_URL": AMQP_URL,
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "consume_events", *self.options(*extra)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.consumers.append(process)
        wait_for(lambda: self.consumer_count() > 0 or process.poll() is not None, "a consumer")
        assert process.poll() is None, process.communicate()
        return process


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


@pytest.fixture
def broker(settings) -> Iterator[Broker]:
    name = f"test.inbound.{uuid.uuid4().hex[:8]}"
    settings.AMQP_URL = AMQP_URL
    amqp = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = amqp.channel()
    channel.exchange_declare(name, exchange_type="topic", durable=True)
    broker = Broker(exchange=name, queue=f"{name}.inbox", channel=channel, settings=settings)
    # Declared before anything is published, as a deployment's consumer would have.
    Topology(exchange=name, queue=broker.queue).declare(channel)
    yield broker
    for process in broker.consumers:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    for queue in (broker.queue, f"{broker.queue}.retry", f"{broker.queue}.dead"):
        channel.queue_delete(queue)
    channel.exchange_delete(name)
    amqp.close()


def finalized() -> list[dict[str, Any]]:
    """The wallet.transactionFinalized events in the outbox, oldest first."""
    return list(
        OutboxEvent.objects.filter(topic="wallet.transactionFinalized")
        .order_by("id")
        .values_list("payload", flat=True)
    )
