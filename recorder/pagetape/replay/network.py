"""`--pagetape-block-network`: a test that opens a socket outside a tape fails at once.

While a recording tape is active the live calls it records are allowed; otherwise any
connection to an internet address raises NetworkBlockedError (Unix sockets stay allowed:
they never leave the machine)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from typing import Any

from pagetape.errors import NetworkBlockedError


@contextlib.contextmanager
def blocked(allowed: Callable[[], bool]) -> Iterator[None]:
    """Inside: socket connects fail unless ALLOWED() (a recording tape is active)."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not allowed():
            raise NetworkBlockedError(
                f"the test opened a connection to {address!r} outside a tape "
                "(--pagetape-block-network)"
            )

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        original_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return original_connect_ex(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
