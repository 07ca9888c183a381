"""The WeChat door: the official account's callback, its wire format, commands and web OAuth.

callback (the endpoint) → wire (signature, AES envelope, XML → push) → inbound.inbox
(record once) → commands (what a text or event does, via campaign and identity).
"""
