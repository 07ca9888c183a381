"""Sending: the outbox, its dispatcher, the channels behind one interface, and the router."""
