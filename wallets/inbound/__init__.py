"""The wallet's message edge: events from other services, applied once each.

`consumer` takes messages from RabbitMQ (a durable queue bound to the events
exchange) and acknowledges each only after its effect has committed; `handlers`
applies one message type each, writing the effect and the message's inbox row in
one database transaction, so a redelivered message changes nothing; `dead_letters`
keeps the messages that could not be applied after their attempts, for an operator
to read and replay. `manage.py consume_events` runs the consumer.
"""
