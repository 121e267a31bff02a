"""botocore's retry backoff is not slept during an injected fault's attempts.

botocore's endpoint sleeps (`time.sleep`, aiobotocore's `asyncio.sleep`) for the delay its retry
handler returns; on replay nothing is there to wait for, and a faulted test would wait seconds of
random jitter. The endpoint modules' view of their clock is wrapped once, when a fault first
fires: a sleep inside a faulted call of this thread or task is recorded on the call (`.calls`
shows it as `backoff`) and skipped; every other sleep, in botocore or anywhere, is the real one.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from pagetape.replay import hook


class _Clock:
    """A module as botocore.endpoint sees it, whose `sleep` skips inside a faulted call."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def _skipped(self, seconds: float) -> bool:
        attempts = hook.pending()
        if attempts is None:
            return False
        attempts.backoff = float(seconds)
        return True

    def sleep(self, seconds: float) -> None:
        if not self._skipped(seconds):
            self._real.sleep(seconds)


class _AsyncClock(_Clock):
    """asyncio as aiobotocore.endpoint sees it."""

    async def sleep(self, delay: float, result: Any = None) -> Any:  # type: ignore[override]
        if self._skipped(delay):
            return result
        return await self._real.sleep(delay, result)


def quiet() -> None:
    """Wrap the clocks of the endpoint modules loaded now (idempotent)."""
    for name, attribute, wrapper in (
        ("botocore.endpoint", "time", _Clock),
        ("aiobotocore.endpoint", "asyncio", _AsyncClock),
    ):
        module = sys.modules.get(name)
        current = getattr(module, attribute, None)
        if module is not None and current is not None and not isinstance(current, _Clock):
            setattr(module, attribute, wrapper(current))
