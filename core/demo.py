"""The demo data's one extension point: `seed_demo` sends `demo_seeded` once the demo
economy and its users exist, and apps above the one that seeds (payments) add their
own demo rows from a receiver, without either importing the other."""

from django.dispatch import Signal

# Sent with users: dict[str, User] (by email), assets: dict[str, Asset] (by code).
demo_seeded = Signal()
