"""The evidence ledger: append-only, hash-chained entries for what members and staff did.

Owns the ledger and its verification (chain-key seals, anchors given out), canonical JSON and
hashes, stored attachment blobs, the member's first electronic consent, and the evidence note
printed in a form's signature box. Imports only the base layer (models, clock, crypto, keys,
extensions, errors); campaign, notify, roster and the member-facing doors all record or read
evidence through it. Never commits.
"""
