"""Sending: the outbox, its dispatcher, the channels behind one interface, and the router.

A message is composed at send time from its outbox row, the member and the card; whatever
else it needs is in the row's payload (a one-time code comes sealed). Imports evidence (sent
and delivered entries), links and the base layer; nothing member-facing.
"""
