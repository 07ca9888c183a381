"""Roster use cases over the database: orgs, members and their version history. Never commits."""
