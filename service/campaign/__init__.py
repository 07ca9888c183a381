"""The confirmation workflow: campaigns, cards, confirm/dispute/proxy, corrections, reminders.

Use cases over roster members that record evidence (service.evidence) and queue messages
(service.notify). Imports roster, notify, evidence and the base layer; never the doors (bot),
identity or inbound, which call it. Nothing here commits.
"""
