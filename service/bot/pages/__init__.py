"""The member's H5 pages: the card (/m/, short links /s/), its dispute form, /verify, /bind.

Thin views over campaign (confirm, dispute) and identity (codes, binding, the session's
proof); the templates live in service/templates/member and service/templates/bind.
"""
