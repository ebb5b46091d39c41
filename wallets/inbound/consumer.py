"""Takes messages from RabbitMQ and applies each through its handler, at least once.

Topology (declared on every connect, all durable): the topic exchange, the queue bound
to it with one routing key per message type, `<queue>.retry` where a failed message
waits out its delay (a per-message TTL) before RabbitMQ dead-letters it back into the
queue, and `<queue>.dead` for the messages that failed every attempt.

Guarantees:
- A message is acknowledged only after its effect (and inbox row) committed; a crash in
  between redelivers it, and the inbox makes the redelivery a no-op.
- A message that fails is published to the retry queue with its attempt count in a
  header (classic queues do not count redeliveries), then acknowledged; after
  `max_attempts` it goes to the dead-letter queue with the reason, and to the DeadLetter
  table for the admin.
- The database unreachable: the message goes back to the queue unacknowledged (so do
  the prefetched ones) and consuming pauses until the database answers again.
- The broker gone (restart, connection closed): reconnect with exponential backoff;
  the messages it had not seen acknowledged are redelivered.
"""

import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pika
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from wallets.inbound.dead_letters import record_dead_letter
from wallets.inbound.handlers import MESSAGE_TYPES, handle
from wallets.inbound.messages import PoisonMessage, describe, parse_message

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-wallet-attempts"
ERROR_HEADER = "x-wallet-error"
# A message back from the retry queue arrives under the queue's name; this keeps its own.
ROUTING_KEY_HEADER = "x-wallet-routing-key"
# How long the consumer waits for a message before it looks at its stop flag.
IDLE_SECONDS = 1.0
# The database errors that mean "not now" rather than "never": the connection is gone.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
BROKER_UNAVAILABLE = (AMQPError, OSError)


@dataclass(frozen=True)
class Topology:
    exchange: str
    queue: str
    routing_keys: tuple[str, ...] = MESSAGE_TYPES

    @property
    def retry_queue(self) -> str:
        return f"{self.queue}.retry"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dead"

    def declare(self, channel: BlockingChannel) -> None:
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        channel.queue_declare(self.queue, durable=True)
        for routing_key in self.routing_keys:
            channel.queue_bind(self.queue, self.exchange, routing_key=routing_key)
        channel.queue_declare(
            self.retry_queue,
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.queue},
        )
        channel.queue_declare(self.dead_letter_queue, durable=True)


@dataclass
class Tally:
    processed: int = 0
    duplicates: int = 0
    retried: int = 0
    dead_lettered: int = 0

    @property
    def handled(self) -> int:
        return self.processed + self.duplicates + self.retried + self.dead_lettered

    def __str__(self) -> str:
        return (
            f"processed {self.processed}, duplicates {self.duplicates}, "
            f"retried {self.retried}, dead-lettered {self.dead_lettered}"
        )


class Backoff:
    """Exponential delays with jitter (so a fleet of consumers does not reconnect at once)."""

    def __init__(self, first: float = 0.5, most: float = 30.0):
        self.first, self.most = first, most
        self.current = first

    def next(self) -> float:
        delay = self.current * random.uniform(0.5, 1.0)
        self.current = min(self.current * 2, self.most)
        return delay

    def reset(self) -> None:
        self.current = self.first


class Consumer:
    def __init__(
        self,
        *,
        url: str,
        topology: Topology,
        prefetch: int = 10,
        max_attempts: int = 5,
        retry_delay: float = 5.0,
        connection_name: str = "consume_events",
        should_stop: Callable[[], bool] = lambda: False,
        on_message: Callable[[Tally], None] | None = None,
    ):
        self.url, self.topology = url, topology
        self.prefetch, self.max_attempts, self.retry_delay = prefetch, max_attempts, retry_delay
        self.connection_name = connection_name
        self.should_stop, self.on_message = should_stop, on_message
        self.tally = Tally()
        self.connection: pika.BlockingConnection | None = None
        self.channel: BlockingChannel | None = None

    def run(self, *, drain: bool = False, limit: int | None = None) -> Tally:
        """Consume until `should_stop()`; with `drain`, also once the queue has stayed
        empty for IDLE_SECONDS; with `limit`, after that many messages."""
        backoff = Backoff()
        try:
            while not self.should_stop():
                try:
                    self._open()
                    backoff.reset()
                    if self._consume(drain=drain, limit=limit):
                        break
                except BROKER_UNAVAILABLE as error:
                    delay = backoff.next()
                    log.warning("broker unavailable (%r); reconnecting in %.1f s", error, delay)
                    self._close()
                    self._pause(delay)
        finally:
            self._close()
        return self.tally

    # --- connection ---------------------------------------------------------------------

    def _open(self) -> None:
        if self.connection is not None and self.connection.is_open:
            return
        parameters = pika.URLParameters(self.url)
        parameters.client_properties = {"connection_name": self.connection_name}
        self.connection = pika.BlockingConnection(parameters)
        self.channel = self.connection.channel()
        self.topology.declare(self.channel)
        self.channel.basic_qos(prefetch_count=self.prefetch)
        # Retries and dead letters are published before the original is acknowledged:
        # confirmed, so a message is never acknowledged and lost in between.
        self.channel.confirm_delivery()
        log.info("consuming %s (exchange %s)", self.topology.queue, self.topology.exchange)

    def _close(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None and connection.is_open:
            # Already going, perhaps: the broker requeues whatever was not acknowledged.
            with contextlib.suppress(*BROKER_UNAVAILABLE):
                connection.close()

    def _pause(self, seconds: float) -> None:
        """Sleep, keeping the broker connection (if any) alive and the stop flag heard."""
        deadline = time.monotonic() + seconds
        while not self.should_stop() and (left := deadline - time.monotonic()) > 0:
            if self.connection is not None and self.connection.is_open:
                self.connection.sleep(min(left, 0.25))
            else:
                time.sleep(min(left, 0.25))

    # --- messages -----------------------------------------------------------------------

    def _consume(self, *, drain: bool, limit: int | None) -> bool:
        """Deliver messages to the handlers; True when done, False to consume again."""
        assert self.channel is not None
        for method, properties, body in self.channel.consume(
            self.topology.queue, inactivity_timeout=IDLE_SECONDS
        ):
            if method is None:  # nothing for IDLE_SECONDS
                if drain or self.should_stop():
                    self.channel.cancel()
                    return True
                continue
            if not self._deliver(method, properties, body):
                self.channel.cancel()  # the prefetched messages go back to the queue too
                self._wait_for_database()
                return False
            if self.on_message is not None:
                self.on_message(self.tally)
            if self.should_stop() or (limit is not None and self.tally.handled >= limit):
                self.channel.cancel()
                return True
        return False  # the broker cancelled the consumer (the queue was deleted)

    def _deliver(self, method: Any, properties: pika.BasicProperties, body: bytes) -> bool:
        """Handle one message and settle it with the broker; False if the database is
        unavailable (the message went back to the queue)."""
        assert self.channel is not None
        headers = dict(properties.headers or {})
        routing_key = str(headers.get(ROUTING_KEY_HEADER) or method.routing_key)
        try:
            close_old_connections()  # as Django does around each request
            message = parse_message(
                body, message_id=properties.message_id, type=properties.type or routing_key
            )
            outcome = handle(message)
        except DATABASE_UNAVAILABLE as error:
            log.warning("database unavailable (%s); the message goes back to the queue", error)
            self.channel.basic_nack(method.delivery_tag, requeue=True)
            return False
        except PoisonMessage as poison:
            reason = poison.reason
        except Exception as error:  # a bug must not block the queue: retried, then dead-lettered
            log.exception("handling a %s message failed", routing_key)
            reason = f"{type(error).__name__}: {error}"
        else:
            self.channel.basic_ack(method.delivery_tag)
            if outcome.duplicate:
                self.tally.duplicates += 1
            else:
                self.tally.processed += 1
            return True
        return self._fail(method, properties, body, headers, routing_key, reason)

    def _fail(
        self,
        method: Any,
        properties: pika.BasicProperties,
        body: bytes,
        headers: dict[str, Any],
        routing_key: str,
        reason: str,
    ) -> bool:
        assert self.channel is not None
        attempts = _count(headers.get(ATTEMPTS_HEADER)) + 1
        headers[ATTEMPTS_HEADER] = attempts
        headers[ERROR_HEADER] = reason[:1000]
        headers[ROUTING_KEY_HEADER] = routing_key
        if attempts < self.max_attempts:
            delay_ms = str(int(self.retry_delay * 1000))
            self._republish(self.topology.retry_queue, properties, body, headers, delay_ms)
            self.channel.basic_ack(method.delivery_tag)
            self.tally.retried += 1
            log.info("attempt %d of a %s message failed: %s", attempts, routing_key, reason)
            return True
        message_id, message_type = describe(
            body, message_id=properties.message_id, type=properties.type or routing_key
        )
        try:
            record_dead_letter(
                body=body,
                message_id=message_id,
                type=message_type,
                routing_key=routing_key,
                headers=headers,
                reason=reason,
                attempts=attempts,
            )
        except DATABASE_UNAVAILABLE as error:
            log.warning("database unavailable (%s); the message goes back to the queue", error)
            self.channel.basic_nack(method.delivery_tag, requeue=True)
            return False
        self._republish(self.topology.dead_letter_queue, properties, body, headers, None)
        self.channel.basic_ack(method.delivery_tag)
        self.tally.dead_lettered += 1
        log.warning("dead-lettered a %s message (%d attempts): %s", routing_key, attempts, reason)
        return True

    def _republish(
        self,
        queue: str,
        properties: pika.BasicProperties,
        body: bytes,
        headers: dict[str, Any],
        expiration: str | None,
    ) -> None:
        assert self.channel is not None
        self.channel.basic_publish(
            exchange="",
            routing_key=queue,
            body=body,
            properties=pika.BasicProperties(
                content_type=properties.content_type,
                message_id=properties.message_id,
                type=properties.type,
                timestamp=properties.timestamp,
                headers=headers,
                delivery_mode=pika.DeliveryMode.Persistent,
                expiration=expiration,
            ),
            mandatory=True,
        )

    def _wait_for_database(self) -> None:
        backoff = Backoff()
        while not self.should_stop():
            try:
                connection.close()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DATABASE_UNAVAILABLE as error:
                delay = backoff.next()
                log.warning("database unavailable (%s); next look in %.1f s", error, delay)
                self._pause(delay)
            else:
                log.info("database available again; consuming")
                return


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
