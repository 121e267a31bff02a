"""The botocore handlers pagetape installs into every session: `before-call` answers a call from
the tape; `before-send` and `after-call` serve the attempts of a call with an injected fault
(`pagetape.replay.faults`), which botocore sends and retries itself.

They are inert (one contextvar read) unless a tape is active. This module imports nothing heavy,
so the pytest plugin can install it lazily, right after `botocore.handlers` is first imported,
before any session (even one created at import time of the code under test) exists.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from contextvars import ContextVar
from types import ModuleType
from typing import Any, Protocol


class ActiveTape(Protocol):
    """What the hook needs from a tape: answer a call, or None to let it go to the network."""

    def handle(self, model: Any, params: Any, context: Any) -> Any: ...

    def attempt(self, attempts: Any, request: Any) -> Any: ...

    def finish(self, attempts: Any, parsed: Any) -> None: ...


_context_tape: ContextVar[ActiveTape | None] = ContextVar("pagetape_active_tape", default=None)
_process_tapes: list[ActiveTape] = []
_lock = threading.Lock()
# The faulted call in flight in this thread or task (its Attempts), from before-call on.
_pending: ContextVar[Any] = ContextVar("pagetape_faulted_call", default=None)


def before_call(
    model: Any = None,
    params: Any = None,
    context: Any = None,
    request_signer: Any = None,
    **_: Any,
) -> Any:
    """botocore `before-call` handler: a tape's answer short-circuits the HTTP request. An
    aiobotocore client (it awaits what a handler returns) is marked in the context with
    ASYNC_CLIENT, so the tape answers with aiobotocore's own response and body types."""
    faulted = _pending.get()
    if faulted is not None and faulted.context is not context:
        _pending.set(None)  # a new call: the last faulted one is over
    tape = _context_tape.get()
    if tape is None:
        if not _process_tapes:
            return None
        tape = _process_tapes[-1]
    if context is not None:
        # A session can hold the handler twice (BUILTIN_HANDLERS, then the default-session
        # attach); a call the tape lets through (recording) must reach it only once.
        if context.get(_SEEN):
            return None
        context[_SEEN] = True
        if type(request_signer).__module__.startswith("aiobotocore."):  # its AioRequestSigner
            context[ASYNC_CLIENT] = True
    return tape.handle(model, params, context)


_SEEN = "pagetape_handled"
ASYNC_CLIENT = "pagetape_async_client"


def pend(attempts: Any) -> None:
    """Let botocore send this call (return None from before-call): ATTEMPTS answers each try."""
    _pending.set(attempts)


def pending() -> Any:
    """The faulted call in flight in this thread or task, or None."""
    return _pending.get()


def before_send(request: Any = None, **_: Any) -> Any:
    """botocore `before-send` handler: one attempt of a faulted call, answered by its tape (a
    fault's error response or exception, else the recorded response); None for every other
    request. A request of another call (another invocation id) is not this call's."""
    attempts = _pending.get()
    if attempts is None or request is None or attempts.answered is request:
        return None
    invocation = request.headers.get("amz-sdk-invocation-id")
    if attempts.invocation is None:
        attempts.invocation = invocation
    elif invocation != attempts.invocation:
        return None
    attempts.answered = request
    return attempts.tape.attempt(attempts, request)


def after_call(parsed: Any = None, context: Any = None, **_: Any) -> None:
    """botocore `after-call` handler: a faulted call's final answer gets the test's bound real
    values, as a `before-call` answer does."""
    attempts = _pending.get()
    if attempts is None or context is None or attempts.context is not context:
        return
    if context.get(_FINISHED):
        return
    context[_FINISHED] = True
    attempts.tape.finish(attempts, parsed)


_FINISHED = "pagetape_finished"
_HANDLERS = (("before-call", before_call), ("before-send", before_send), ("after-call", after_call))


def recording_active() -> bool:
    """Is a tape that lets calls go live (recording) active? Used by network blocking."""
    tape = _context_tape.get() or (_process_tapes[-1] if _process_tapes else None)
    return bool(getattr(tape, "records", False))


def activate(tape: ActiveTape, process_wide: bool) -> Any:
    """Make TAPE answer calls in this context (and, process-wide, in threads it starts)."""
    install()
    _attach_to_default_session()
    if process_wide:
        with _lock:
            _process_tapes.append(tape)
    return _context_tape.set(tape)


def deactivate(tape: ActiveTape, token: Any, process_wide: bool) -> None:
    _context_tape.reset(token)
    if process_wide:
        with _lock:
            if tape in _process_tapes:
                _process_tapes.remove(tape)


def _register(handlers: ModuleType) -> None:
    for entry in _HANDLERS:
        if entry not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(entry)


def _attach_to_default_session() -> None:
    """boto3's default session may predate the handler (created before pagetape was imported);
    clients it makes from now on must replay too. The unique id keeps this to one copy."""
    boto3 = sys.modules.get("boto3")
    session = getattr(boto3, "DEFAULT_SESSION", None)
    if session is not None:
        for event, handler in _HANDLERS:
            unique = _UNIQUE_ID if event == "before-call" else f"{_UNIQUE_ID}-{event}"
            session.events.register(event, handler, unique_id=unique)


_UNIQUE_ID = "pagetape-replay"


def install() -> None:
    """Register the handler for every botocore session created from now on."""
    import botocore.handlers

    _register(botocore.handlers)


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _register(module)


class _Finder(importlib.abc.MetaPathFinder):
    """Waits for `botocore.handlers` to be imported, then registers the handler into it."""

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "botocore.handlers":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Loader(spec.loader)
        return spec


def install_lazily() -> None:
    """Install now if botocore is loaded, else when it is: importing boto3 stays the user's cost."""
    if "botocore.handlers" in sys.modules:
        _register(sys.modules["botocore.handlers"])
    elif not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
