"""The suite itself refuses to reach anything but loopback."""

from __future__ import annotations

import socket

import pytest


def test_non_loopback_connection_fails() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="non-loopback"):
            s.connect(("192.0.2.1", 80))  # TEST-NET-1: never reached
    finally:
        s.close()


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
