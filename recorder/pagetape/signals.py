"""Termination signals as an exception, so every `finally` (temp-file cleanup) runs.

Python turns only SIGINT into an exception; SIGTERM and SIGHUP kill the process outright and
skip cleanup. `install()` (called by the CLI) makes all three raise `Interrupted`. A commit
step (the rename that publishes a cassette) runs under `deferred()`: a signal arriving there
is held and raised right after, so "interrupted" never cuts a commit in half.

An interruption can land inside a constructor (http.client's HTTPResponse, a socket file);
when the half-made object is collected, its finaliser fails and Python prints an "Exception
ignored in" traceback. Those are casualties of the signal, not errors of their own, so once a
signal has been raised they are dropped (`_quiet`) and the user reads one line.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A termination signal arrived; a KeyboardInterrupt so code that handles Ctrl-C handles it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_state = threading.local()
_pending: list[int] = []
_committed: list[str] = []
_received: list[int] = []


def note_commit(path: str) -> None:
    """Record that PATH was published (call it inside `deferred()`, right after the commit)."""
    _committed.append(path)


def committed() -> tuple[str, ...]:
    """Every file this process published: what an interruption did not undo."""
    return tuple(_committed)


def _depth() -> int:
    return int(getattr(_state, "depth", 0))


def received() -> int | None:
    """The first signal turned into `Interrupted` in this process (frameworks such as typer
    swallow the exception into an exit code; this still tells which signal it was)."""
    return _received[0] if _received else None


def _quiet(unraisable: object) -> None:
    """Drop a finaliser's error: after an interruption it is the interruption's echo."""


def _raise(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    sys.unraisablehook = _quiet
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
    """Hold termination signals for the block (when `install()`ed), then raise the first one."""
    _state.depth = _depth() + 1
    try:
        yield
    finally:
        _state.depth = _depth() - 1
        if _depth() == 0 and _pending:
            signum = _pending[0]
            _pending.clear()
            raise Interrupted(signum)
