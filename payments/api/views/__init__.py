"""The money-in-and-out API, one module per resource (payments/api/urls.py): deposits,
withdrawals, payments (and their refunds), and the providers' callbacks. Thin views:
access -> input -> one service call -> output; Idempotency-Key wraps every POST a
caller makes (the provider's callback is deduplicated by its event id instead)."""
