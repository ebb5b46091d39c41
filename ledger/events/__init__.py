"""Events out: the catalogue of what the service publishes, the envelope around each
event, and the AsyncAPI document generated from the catalogue."""

from ledger.events.catalogue import CATALOGUE, EventType, event_type, event_types, register
from ledger.events.envelope import envelope

__all__ = [
    "CATALOGUE",
    "EventType",
    "envelope",
    "event_type",
    "event_types",
    "register",
]
