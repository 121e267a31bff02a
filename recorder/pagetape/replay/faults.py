"""Injected faults: a replayed call fails as AWS makes calls fail, through botocore's own retries.

A recording holds only what happened, so code that must survive throttling, a failed page or a
dropped connection names the failure here: a kind of the catalogue (`faults`: throttle,
server-error, unavailable, connection-error, read-timeout), where (a recorded page of the chain,
or the Nth request of the test) and for how many attempts; then the recorded answer.

A faulted call is not answered at `before-call` (that answer skips botocore's retries) but at
`before-send`, once per attempt botocore makes (`pagetape.replay.hook`): the fault's error
response in the service's own protocol (built by `pagetape.wire.serialize`, parsed by botocore
as a live one), or the exception botocore's HTTP layer raises. botocore's retry handler, with
the client's own retry configuration, decides whether to try again, so a fault that outlasts
the retries raises exactly what a live call would. Its backoff is not slept
(`pagetape.replay.backoff`): the replay is offline and deterministic.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pagetape.aws.catalogue import FaultKind, fault_kinds
from pagetape.errors import FaultError

# The engine's Index and Entry are `Any` here: the engine imports this module, not the reverse.
Index = Any
Entry = Any


@dataclass(frozen=True)
class Fault:
    """KIND on PAGE (1-based, of OPERATION's recorded chain; default the cassette's operation)
    or on the REQUEST-th request the test makes, for TIMES attempts, then the recorded answer."""

    kind: str
    page: int | None = None
    request: int | None = None
    times: int = 1
    operation: str | None = None

    def check(self) -> Fault:
        """Refuse a malformed fault (checked when a tape takes it, not where a marker makes it,
        so a test module still imports and the test fails in one sentence)."""
        kinds = fault_kinds()
        if self.kind not in kinds:
            raise FaultError(f"unknown fault kind {self.kind!r}; use one of {', '.join(kinds)}")
        if (self.page is None) == (self.request is None):
            raise FaultError(f"fault {self.kind!r} needs exactly one of page=N or request=N")
        where = self.page if self.page is not None else self.request
        if not isinstance(where, int) or isinstance(where, bool) or where < 1:
            raise FaultError(f"fault {self.kind!r}: page and request count from 1, not {where!r}")
        if not isinstance(self.times, int) or isinstance(self.times, bool) or self.times < 1:
            raise FaultError(f"fault {self.kind!r}: times must be 1 or more, not {self.times!r}")
        return self

    @property
    def label(self) -> str:
        where = f"page {self.page}" if self.page is not None else f"request {self.request}"
        if self.operation:
            where += f" of {self.operation}"
        return f"{self.kind} on {where} ({self.times} {'time' if self.times == 1 else 'times'})"


def fault(
    kind: str,
    *,
    page: int | None = None,
    request: int | None = None,
    times: int = 1,
    operation: str | None = None,
) -> Fault:
    """`fault("throttle", page=2, times=2)`: a fault for `@pytest.mark.pagetape(...,
    faults=[...])`; `kind` also takes underscores (`read_timeout`)."""
    return Fault(kind.replace("_", "-"), page, request, times, operation)


_TEXT = re.compile(r"^(?P<kind>[a-z_-]+):(?P<req>#)?(?P<at>\d+)(?:x(?P<times>\d+))?$")


def parse(text: str) -> Fault:
    """KIND:PAGE[xTIMES] (`throttle:2x3`), or KIND:#N[xTIMES] for the Nth request."""
    found = _TEXT.match(text.strip())
    if found is None:
        raise FaultError(
            f"fault {text!r} is not KIND:PAGE[xTIMES] (e.g. throttle:2x3) or KIND:#REQUEST[xTIMES]"
        )
    at, times = int(found["at"]), int(found["times"] or 1)
    if found["req"]:
        return fault(found["kind"], request=at, times=times)
    return fault(found["kind"], page=at, times=times)


def coerce(value: Any) -> Fault:
    """A marker's `faults=` item: a Fault, or its text form."""
    if isinstance(value, Fault):
        return value.check()
    if isinstance(value, str):
        return parse(value).check()
    raise FaultError(f"faults= takes fault(...) or 'KIND:PAGE[xTIMES]', not {value!r}")


@dataclass
class Armed:
    """A fault bound to a tape: the recorded interaction it targets, attempts left to fail."""

    fault: Fault
    target: tuple[Path, int] | None  # (cassette, interaction index) of a page fault
    left: int
    fired: int = 0

    def applies(self, number: int, path: Path, index: int) -> bool:
        if self.fault.request is not None:
            return self.fault.request == number
        return self.target == (path, index)


@dataclass
class Faults:
    """A tape's faults: bound to its cassettes, counted across threads."""

    armed: list[Armed] = field(default_factory=list)
    requests: int = 0  # requests the tape was asked so far (attempts of one call count once)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        """Number the next request asked of the tape (1-based)."""
        with self._lock:
            self.requests += 1
            return self.requests

    def add(self, spec: Fault, indexes: list[Index]) -> None:
        """Arm SPEC; a page the recorded chain does not have is refused now, naming the file."""
        spec.check()
        target = None
        if spec.page is not None:
            target = _page(spec, indexes)
        with self._lock:
            self.armed.append(Armed(spec, target, spec.times))

    def plan(self, number: int, path: Path, index: int) -> list[Armed]:
        """The faults that may fire on request NUMBER, served from interaction INDEX of PATH."""
        with self._lock:
            return [a for a in self.armed if a.left and a.applies(number, path, index)]

    def take(self, candidates: list[Armed]) -> Armed | None:
        """The fault this attempt suffers (the first with attempts left), or None."""
        with self._lock:
            for armed in candidates:
                if armed.left:
                    armed.left -= 1
                    armed.fired += 1
                    return armed
        return None

    def check_fired(self) -> None:
        """A fault that never fired means the test did not test what it says."""
        idle = [a.fault.label for a in self.armed if not a.fired]
        if idle:
            raise FaultError(
                f"injected {'fault' if len(idle) == 1 else 'faults'} never fired: "
                f"{'; '.join(idle)} ({self.requests} "
                f"{'request was' if self.requests == 1 else 'requests were'} replayed)"
            )


def _page(spec: Fault, indexes: list[Index]) -> tuple[Path, int]:
    if not indexes:
        raise FaultError(f"fault {spec.label}: the tape has no cassette to replay")
    first = indexes[0].cassette.metadata
    operation = spec.operation or first.operation
    for index in indexes:
        pages = [e for (_, op), entries in index.by_op.items() if op == operation for e in entries]
        if not pages:
            continue
        assert spec.page is not None
        if spec.page > len(pages):
            raise FaultError(
                f"fault {spec.label}: {index.path} holds {len(pages)} recorded "
                f"{operation} {'page' if len(pages) == 1 else 'pages'}"
            )
        entry: Entry = sorted(pages, key=lambda e: e.index)[spec.page - 1]
        return index.path, entry.index
    raise FaultError(
        f"fault {spec.label}: no cassette of the tape holds {operation} "
        f"({', '.join(str(i.path) for i in indexes)})"
    )


@dataclass
class Attempts:
    """One faulted call in flight, from `before-call` to its last attempt: what answers it."""

    tape: Any
    model: Any
    index: Index
    entry: Entry
    candidates: list[Armed]
    context: Any  # the call's botocore request context (identifies the call)
    region: str | None = None
    asynchronous: bool = False
    attempt: int = 0
    invocation: Any = None  # its amz-sdk-invocation-id, fixed by the first attempt
    answered: Any = None  # the prepared request answered last (a handler registered twice)
    backoff: float = 0.0  # the delay botocore asked before this attempt (not slept)


def error_response(kind: FaultKind, model: Any) -> tuple[int, dict[str, str], bytes]:
    """The (status, headers, body) the service sends for KIND, in its protocol: the service's
    own error (catalogue), else the first of the kind's errors it models (with the modelled
    status), else its protocol's."""
    from pagetape.wire import codec, serialize

    service = model.service_model
    protocol = codec.wire_protocol(service)
    status, code, message = kind.status, "", kind.message
    chosen = kind.services.get(service.service_name)
    if chosen is None:
        modeled = {s.error_code: s for s in service.error_shapes}
        for name in kind.modeled:
            shape = modeled.get(name)
            if shape is not None:
                status = shape.metadata.get("error", {}).get("httpStatusCode") or status
                code = name
                break
        else:
            chosen = kind.protocols.get(protocol)
            if chosen is None:
                raise FaultError(f"fault {kind.kind}: no error is known for protocol {protocol}")
    if chosen is not None:
        code = chosen.code
        status = chosen.status or status
        message = chosen.message or message
    return serialize.error(protocol, status, code, message, service=service, kind=kind.fault_type)


def exception(kind: FaultKind, url: str) -> Exception:
    """The exception botocore's HTTP layer raises for a transport fault (by its class name)."""
    import botocore.exceptions

    cls = getattr(botocore.exceptions, kind.raises or "")
    return cls(endpoint_url=url, error=OSError(f"{kind.kind} injected by pagetape"))  # type: ignore[no-any-return]
