"""The AsyncAPI 3.0 document of the events the service publishes, generated from the
catalogue: one channel per event type (its routing key on the topic exchange), one
`send` operation each, and the message with its envelope's JSON Schema (draft 2020-12,
kept as it is through AsyncAPI's multi-format schema) and an example. Served at
/api/asyncapi/, beside the OpenAPI document at /api/schema/."""

from typing import Any

from django.conf import settings

from ledger.events.catalogue import EVENT_TYPES, EventType

SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
EXAMPLE_ID = "0d9c6a8e-6f36-4b8e-9f7a-3c1d2b4e5f60"
EXAMPLE_AT = "2026-05-01T09:30:00.123456Z"


def _name(event: EventType) -> str:
    """A component key: AsyncAPI allows only [A-Za-z0-9._-] there."""
    return event.type


def _message(event: EventType) -> dict[str, Any]:
    return {
        "name": event.type,
        "title": event.type,
        "summary": event.when,
        "contentType": "application/json",
        "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": event.envelope_schema},
        "correlationId": {
            "description": "The envelope's id, stable across redeliveries.",
            "location": "$message.payload#/id",
        },
        "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
        "examples": [
            {
                "name": "example",
                "payload": {
                    "id": EXAMPLE_ID,
                    "type": event.type,
                    "occurred_at": EXAMPLE_AT,
                    "version": event.version,
                    "data": event.example,
                },
            }
        ],
    }


def asyncapi_document() -> dict[str, Any]:
    exchange = settings.AMQP_EXCHANGE
    channels, operations, messages = {}, {}, {}
    for event in EVENT_TYPES:
        name = _name(event)
        messages[name] = _message(event)
        channels[name] = {
            "address": event.type,
            "title": event.type,
            "description": f"Routing key `{event.type}` on the topic exchange `{exchange}`.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {"name": exchange, "type": "topic", "durable": True},
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"publish.{name}"] = {
            "action": "send",
            "title": f"Publish {event.type} (version {event.version})",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:wallet-service:events",
        "info": {
            "title": "Wallet service events",
            "version": "1.0.0",
            "description": (
                'Every message is the envelope {"id", "type", "occurred_at", "version", '
                '"data"}; amounts are decimal strings in the asset\'s scale, as the REST API '
                "writes them. Delivery is at least once: deduplicate on `id` (also the AMQP "
                "message_id). One wallet's events arrive in the order they committed."
            ),
        },
        "servers": {
            "rabbitmq": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The broker named by AMQP_URL.",
            }
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
