"""Termination signals as an exception, so every `finally` (temp-file cleanup) runs.

Python turns only SIGINT into an exception; SIGTERM and SIGHUP kill the process outright and
skip cleanup. `install()` (called by the CLI) makes all three raise `Interrupted`. A commit
step (the rename that publishes a cassette) runs under `deferred()`: a signal arriving there
is held and raised right after, so "interrupted" never cuts a commit in half.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A termination signal arrived; a KeyboardInterrupt so code that handles Ctrl-C handles it."""

    def __init__(self, signum: int, committed: bool = False) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.committed = committed  # held during a commit that then completed


_state = threading.local()
_pending: list[int] = []


def _depth() -> int:
    return int(getattr(_state, "depth", 0))


def _raise(signum: int, frame: FrameType | None) -> None:
    if _depth() > 0:
        _pending.append(signum)
        return
    raise Interrupted(signum)


def install() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise `Interrupted` (main thread only, like signal())."""
    for signum in HANDLED:
        signal.signal(signum, _raise)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold termination signals for the block (when `install()`ed), then raise the first one,
    marked `committed` when the block completed."""
    _state.depth = _depth() + 1
    completed = False
    try:
        yield
        completed = True
    finally:
        _state.depth = _depth() - 1
        if _depth() == 0 and _pending:
            signum = _pending[0]
            _pending.clear()
            raise Interrupted(signum, committed=completed)
