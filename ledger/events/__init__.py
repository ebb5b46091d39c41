"""Events out: the catalogue of what the service publishes, the envelope around each
event, and the AsyncAPI document generated from the catalogue."""

from ledger.events.catalogue import CATALOGUE, EVENT_TYPES, EventType, event_type
from ledger.events.envelope import envelope, iso

__all__ = ["CATALOGUE", "EVENT_TYPES", "EventType", "envelope", "event_type", "iso"]
