"""Loopback fakes of the providers: real HTTP servers that check what the real services check."""
