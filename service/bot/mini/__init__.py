"""The mini-program door: the JSON API under /api/mini/ and its OpenAPI document.

Thin views over campaign and identity; our own bearer token (bearer), strict body reading
(body), the card as the mini-program shows it (card).
"""
