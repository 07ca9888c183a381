"""A deterministic synthetic roster loaded into the database, for benches and the simulation."""

from __future__ import annotations

from datetime import date

from service.extensions import db
from service.records.synthetic import synthetic_roster
from service.roster.demo import seed_members, seed_orgs

# The day the roster's ages and party dates are computed against: fixed, so a seed always
# gives the same people whatever day it runs.
TODAY = date(2024, 6, 1)


def load(members: int, seed: int) -> None:
    """Insert the synthetic roster through the demo seeding use case and commit."""
    roster = synthetic_roster(members, seed, TODAY)
    for _ in seed_members(roster, seed_orgs(roster)):
        pass
    db.session.commit()
