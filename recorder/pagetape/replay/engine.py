"""The replay engine: answer boto3 calls from cassettes, offline, through botocore's own parsers.

A cassette is parsed once per process (cached by path, mtime and size) and indexed by the
canonical request key; each call is one dict lookup plus botocore's protocol parser on the
recorded body, so datetimes, header-bound members and ClientError codes come out as live.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pagetape.aws.catalogue import fault_kinds, without_injected
from pagetape.aws.isolation import REPLAY_CREDENTIALS, isolated_environment
from pagetape.aws.params import limit_value, typed
from pagetape.aws.specs import (
    OperationSpec,
    advance,
    installed_botocore,
    operation_model,
    resolve,
    snake_case,
)
from pagetape.cassette import store as cassette_io
from pagetape.errors import (
    CassetteError,
    FaultError,
    NotExhaustedError,
    PagetapeError,
    ReplayMissError,
)
from pagetape.replay import aio, backoff, hook, repage
from pagetape.replay import faults as injected
from pagetape.wire import chain, codec, match
from pagetape.wire.request import live_request, request_key, visible_params

# Sessions created from now on carry the handler, even those made before the first tape.
hook.install_lazily()


@dataclass
class Entry:
    """One recorded interaction, ready to serve: what replay derives from it, not a copy of it.
    The response bytes are encoded once at load; what only some calls need (the match view,
    input tokens, shown parameters) on first use, so loading a long chain costs little more
    than parsing it."""

    index: int
    interaction: cassette_io.Interaction = field(repr=False)
    body: bytes = b""  # the response body as botocore's parser reads it
    service: str = ""  # the cassette's service (an interaction names its own when it differs)
    drop: frozenset[str] = frozenset()
    # botocore's parse of `body`, per (service, api version, operation): parsing (timestamps
    # above all) is most of a replay's cost, so it runs once and each call gets a fresh copy.
    parsed: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict, repr=False)
    cassette: Path | None = None  # the file it came from, for error messages
    key: str = ""  # its canonical request key: entries sharing one are answered in order

    @property
    def operation(self) -> str:
        return self.interaction.operation

    @property
    def status(self) -> int:
        return self.interaction.response.status

    @property
    def headers(self) -> dict[str, str]:
        return self.interaction.response.headers

    @cached_property
    def sanitized(self) -> frozenset[str]:
        """The request values the sanitizer replaced."""
        return frozenset(self.interaction.request.sanitized)

    @cached_property
    def params(self) -> dict[str, Any]:
        return visible_params(self.interaction.request)

    @cached_property
    def view(self) -> match.RequestView | None:
        return match.view(self.interaction.request, self.drop)

    @cached_property
    def asked(self) -> tuple[str | None, ...]:
        """Its input tokens (chain.asked), for loop detection."""
        return chain.asked(self.service, self.interaction)


@dataclass
class Index:
    """A loaded cassette: its interactions by canonical key, and by operation for misses."""

    path: Path
    cassette: cassette_io.Cassette
    by_key: dict[str, list[Entry]]
    entries: list[Entry]
    by_op: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)


_cache: dict[Path, tuple[tuple[int, int], Index]] = {}
_cache_lock = threading.Lock()


@cache
def dropped_members(service: str, operation: str) -> frozenset[str]:
    """Members left out of the match on both sides: idempotency tokens botocore fills in, and
    the page size (its member and wire names), so `paginate()` with any page size replays."""
    op = operation_model(service, operation)
    if op is None:
        return frozenset()
    out = set(op.idempotent_members)
    found = chain.operation(service, operation)
    limit = found[1].limit_key if found else None
    if limit and op.input_shape is not None and limit in op.input_shape.members:
        ser = op.input_shape.members[limit].serialization
        out |= {limit, ser.get("name", limit), ser.get("queryName", limit)}
    return frozenset(out)


def load_index(path: str | os.PathLike[str]) -> Index:
    """Load and index a cassette, once per process for the same file content."""
    p = Path(path).resolve()
    try:
        stat = p.stat()
    except FileNotFoundError:
        cassette_io.load(p)  # raises the CassetteError with the file name
        raise
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(p)
        if cached and cached[0] == stamp:
            return cached[1]
    tape = cassette_io.load(p)
    service = tape.metadata.service
    by_key: dict[str, list[Entry]] = {}
    entries = []
    by_op: dict[tuple[str, str], list[Entry]] = {}
    for i, interaction in enumerate(tape.interactions):
        req, resp = interaction.request, interaction.response
        try:
            body = codec.to_bytes(resp.body, codec.content_type(resp.headers))
        except ValueError as exc:  # a hand-edited CBOR or event-stream body
            raise CassetteError(f"{p}: interaction {i + 1}: response body: {exc}") from None
        owner = interaction.service or service
        known = (owner, interaction.operation) in by_op  # checked at its first interaction
        if not known and operation_model(owner, interaction.operation) is None:
            raise CassetteError(
                f"{p}: interaction {i + 1}: {owner} {interaction.operation} is not in the "
                f"installed botocore {installed_botocore()}; the cassette was recorded with "
                f"botocore {tape.metadata.botocore_version or '(unknown)'}: upgrade botocore "
                "to at least that version to replay it"
            )
        drop = dropped_members(owner, interaction.operation)
        key = request_key(owner, interaction.operation, req, drop)
        entry = Entry(
            index=i,
            interaction=interaction,
            body=body,
            service=service,
            drop=drop,
            cassette=p,
            key=key,
        )
        by_key.setdefault(key, []).append(entry)
        by_op.setdefault((owner, interaction.operation), []).append(entry)
        entries.append(entry)
    index = Index(p, tape, by_key, entries, by_op)
    with _cache_lock:
        _cache[p] = (stamp, index)
    return index


LIVE = -1  # Call.interaction of a request that went to the network (record modes)


@dataclass(frozen=True)
class Call:
    """One request: which operation, with which (wire) parameters, served from where
    (`interaction` is its index in `cassette`, or LIVE when it is being recorded). A call with
    injected faults has one Call per attempt botocore made: its number, the fault it suffered
    (None: the recorded answer) and the retry delay botocore asked before it (not slept)."""

    operation: str
    params: dict[str, Any]
    cassette: Path
    interaction: int
    region: str | None = None  # the region of the client that asked
    attempt: int = 1
    fault: str | None = None
    backoff: float = 0.0


class _Raw(io.BytesIO):
    """Just enough of a urllib3 response for AWSResponse.content (and, for a response botocore
    parses itself, a streaming body's reads)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


@dataclass
class Tape:
    """Active cassettes: use as a context manager; every boto3 call inside replays from them."""

    indexes: list[Index]
    process_wide: bool = False
    isolated: bool = False  # inside isolated_environment(metadata.region), set by open_tape
    calls: list[Call] = field(default_factory=list)
    misses: list[ReplayMissError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _repeats: dict[tuple[Path, str], int] = field(default_factory=dict)
    # Recorded (fake) request values bound to the real values this test asked with.
    bindings: dict[str, str] = field(default_factory=dict)
    repage: bool = False  # cut the recorded items to the page size the code asks for
    strict_region: bool = False  # a client in another region than the cassette's is a miss
    _chains: dict[tuple[Path, str], Any] = field(default_factory=dict)
    _drawn: set[tuple[Path, int]] = field(default_factory=set)  # pages repage served from
    _walks: dict[tuple[Path, str], set[tuple[str | None, ...]]] = field(default_factory=dict)
    faults: injected.Faults = field(default_factory=injected.Faults)
    _token: Any = None

    @classmethod
    def load(cls, paths: Sequence[str | os.PathLike[str]], **kwargs: Any) -> Tape:
        return cls([load_index(p) for p in paths], **kwargs)

    # -- what tests use ------------------------------------------------------------------------

    @property
    def cassette(self) -> cassette_io.Cassette:
        """The first cassette (most tapes hold one)."""
        if not self.indexes:
            raise CassetteError("this tape has no cassette yet: it is being recorded")
        return self.indexes[0].cassette

    @property
    def metadata(self) -> cassette_io.Metadata:
        return self.cassette.metadata

    @property
    def path(self) -> Path:
        return self.indexes[0].path

    def client(self, service: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for SERVICE (default: the cassette's), in the cassette's region."""
        import boto3

        kwargs.setdefault("region_name", self.metadata.region)
        kwargs.setdefault("aws_access_key_id", REPLAY_CREDENTIALS[0])
        kwargs.setdefault("aws_secret_access_key", REPLAY_CREDENTIALS[1])
        return boto3.client(service or self.metadata.service, **kwargs)

    def assert_exhausted(self) -> None:
        """Fail unless every recorded interaction was requested at least once."""
        served = {(c.cassette, c.interaction) for c in self.calls} | self._drawn
        missing = []
        for index in self.indexes:
            for entry in index.entries:
                if (index.path, entry.index) not in served:
                    missing.append(
                        f"{index.path.name} interaction {entry.index + 1} ({_page_label(entry)})"
                    )
        if missing:
            raise NotExhaustedError(
                f"{len(missing)} recorded {'page was' if len(missing) == 1 else 'pages were'} "
                f"never requested: {'; '.join(missing)}"
            )

    def inject(
        self,
        kind: str,
        *,
        page: int | None = None,
        request: int | None = None,
        times: int = 1,
        operation: str | None = None,
    ) -> injected.Fault:
        """Make PAGE of the recorded chain (or the REQUEST-th request) fail with KIND for TIMES
        attempts, through botocore's retries, then answer as recorded (`pagetape.replay.faults`)."""
        return self.add_fault(
            injected.fault(kind, page=page, request=request, times=times, operation=operation)
        )

    def add_fault(self, spec: injected.Fault) -> injected.Fault:
        spec.check()
        if self.repage:
            raise FaultError(f"fault {spec.label}: faults cannot be injected with repage=True")
        self.faults.add(spec, self.indexes)
        return spec

    def check_faults(self) -> None:
        """Fail if an injected fault never fired."""
        self.faults.check_fired()

    # -- the hook ------------------------------------------------------------------------------

    def __enter__(self) -> Tape:
        self._token = hook.activate(self, self.process_wide)
        return self

    def __exit__(self, *exc: object) -> None:
        hook.deactivate(self, self._token, self.process_wide)

    def lookup(self, model: Any, params: Any) -> tuple[Index, Entry] | None:
        """The recorded interaction for this serialized request, or None: the same request
        (any page size), else one that matches with its sanitized values bound to this test's
        real values (`pagetape.wire.match`)."""
        service = model.service_model.service_name
        drop = dropped_members(service, model.name)
        request = live_request(params)
        key = request_key(service, model.name, request, drop)
        for index in self.indexes:
            found = index.by_key.get(key)
            if found:
                return index, self._next_of(index, key, found)
        live = match.view(request, drop)
        for index in self.indexes:
            for entry in index.by_op.get((service, model.name), []):
                if not entry.sanitized or entry.view is None:
                    continue
                with self._lock:
                    outcome = match.compare(entry.view, entry.sanitized, live, self.bindings)
                    if outcome.matches:
                        self.bindings.update(outcome.bindings)
                if outcome.matches:
                    # Matched by role (a sanitized value or an import's placeholder): the same
                    # recorded request answered several times is still answered in order.
                    return index, self._next_of(index, entry.key, index.by_key[entry.key])
        return None

    def _next_of(self, index: Index, key: str, found: list[Entry]) -> Entry:
        if len(found) == 1:
            return found[0]
        # The same request recorded several times (polling a status) is answered in recorded
        # order, then the last answer repeats.
        with self._lock:
            n = self._repeats.get((index.path, key), 0)
            self._repeats[(index.path, key)] = n + 1
        return found[min(n, len(found) - 1)]

    def handle(self, model: Any, params: Any, context: Any) -> Any:
        region = (context or {}).get("client_region")
        asynchronous = bool((context or {}).get(hook.ASYNC_CLIENT))
        if self.strict_region and region and self.indexes and region != self.metadata.region:
            raise self._missed(
                ReplayMissError(
                    f"{model.name} was asked in region {region}, but {self.path} was recorded "
                    f"in {self.metadata.region} (strict_region)"
                )
            )
        if self.repage:
            repaged = self._repaged(model, params, region, asynchronous)
            if repaged is not None:
                return repaged
        number = self.faults.count()
        found = self.lookup(model, params)
        if found is None:
            raise self._missed(self._miss(model, params, region))
        index, entry = found
        self._check_loop(index, entry)
        if self.faults.armed:
            candidates = self.faults.plan(number, index.path, entry.index)
            if candidates:
                # botocore sends this call and retries it; before-send answers each attempt.
                backoff.quiet()
                hook.pend(
                    injected.Attempts(
                        self, model, index, entry, candidates, context, region, asynchronous
                    )
                )
                return None
        self.note(Call(entry.operation, entry.params, index.path, entry.index, region))
        return self.respond(model, entry, asynchronous)

    def attempt(self, attempts: injected.Attempts, request: Any) -> Any:
        """One attempt of a faulted call (from `before-send`): the next fault's error response
        or exception, else the recorded response, for botocore to parse and judge."""
        attempts.attempt += 1
        armed = self.faults.take(attempts.candidates)
        entry = attempts.entry
        self.note(
            Call(
                entry.operation,
                entry.params,
                attempts.index.path,
                entry.index,
                attempts.region,
                attempt=attempts.attempt,
                fault=armed.fault.kind if armed else None,
                backoff=attempts.backoff,
            )
        )
        attempts.backoff = 0.0
        if armed is None:
            return _http(entry.status, entry.headers, entry.body, attempts.asynchronous)
        kind = fault_kinds()[armed.fault.kind]
        if kind.raises:
            raise injected.exception(kind, request.url)
        status, headers, body = injected.error_response(kind, attempts.model)
        return _http(status, headers, body, attempts.asynchronous)

    def finish(self, attempts: injected.Attempts, parsed: Any) -> None:
        """A faulted call's final answer, parsed by botocore: the test's real values where the
        recording has their fakes, as `respond` gives them."""
        with self._lock:
            bound = [(fake, real) for fake, real in self.bindings.items() if len(fake) >= 4]
        if bound and isinstance(parsed, dict):
            _unfake_in_place(parsed, bound)

    def _check_loop(self, index: Index, entry: Entry) -> None:
        """A walk (from a request without a token) that asks for the same token twice would
        never end (a cassette whose last page points back): stop it with a clear failure."""
        if not entry.asked:
            return
        key = (index.path, entry.operation)
        with self._lock:
            if not any(entry.asked):
                self._walks[key] = set()
                return
            seen = self._walks.setdefault(key, set())
            if entry.asked in seen:
                raise self._missed_locked(
                    ReplayMissError(
                        f"{index.path}: the {entry.operation} chain revisits token "
                        f"{', '.join(t for t in entry.asked if t)} at interaction "
                        f"{entry.index + 1}; it would never end (the cassette's token chain loops)"
                    )
                )
            seen.add(entry.asked)

    def _missed_locked(self, miss: ReplayMissError) -> ReplayMissError:
        self.misses.append(miss)
        return miss

    def _missed(self, miss: ReplayMissError) -> ReplayMissError:
        with self._lock:
            self.misses.append(miss)
        return miss

    def _repaged(
        self, model: Any, params: Any, region: str | None, asynchronous: bool = False
    ) -> Any:
        """The page of the recorded items at the asked size (`repage=True`), or None for an
        operation the cassette does not page."""
        from botocore.awsrequest import AWSResponse, HeadersDict

        service = model.service_model.service_name
        for index in self.indexes:
            entries = [e for e in index.by_op.get((service, model.name), []) if e.status < 300]
            found = chain.operation(service, model.name)
            if not entries or found is None:
                continue
            key = (index.path, model.name)
            flat = self._chains.get(key)
            if flat is None:
                pages = [self.respond(model, e)[1] for e in entries]  # takes the lock itself
                flat = self._chains.setdefault(key, repage.flatten(found[1], pages, found[0]))
            asked = repage.asked_members(found[0], params)  # the model as published
            parsed = repage.page(flat, asked)
            # One call per request, numbered after the recorded page its first item comes
            # from; every recorded page it draws on counts as requested.
            drawn = [
                entries[n].index for n in repage.served_pages(flat, *repage.window(flat, asked))
            ]
            with self._lock:
                self._drawn.update((index.path, n) for n in drawn)
            self.note(Call(model.name, asked, index.path, drawn[0], region))
            first = entries[0]
            if asynchronous:
                return aio.response(200, first.headers, b""), parsed
            return AWSResponse(None, 200, HeadersDict(first.headers), _Raw(b"")), parsed
        return None

    def note(self, call: Call) -> None:
        """Remember a request in `calls` (tapes are shared with threads the test starts)."""
        with self._lock:
            self.calls.append(call)

    def respond(self, model: Any, entry: Entry, asynchronous: bool = False) -> Any:
        """(AWSResponse, parsed) exactly as botocore would produce them from the wire; for an
        aiobotocore client (ASYNCHRONOUS) as aiobotocore would: its AioAWSResponse, and for a
        streaming output a coroutine it awaits, giving its own async body or event stream."""
        from botocore.awsrequest import AWSResponse, HeadersDict

        if asynchronous:
            http = aio.response(entry.status, entry.headers, entry.body)
        else:
            http = AWSResponse(None, entry.status, HeadersDict(entry.headers), _Raw(entry.body))
        if model.has_streaming_output or model.has_event_stream_output:
            if asynchronous and entry.status < 300:
                return _parse_async(model, entry, http)
            return http, _parse(model, entry)  # holds a stream: parse afresh, never share
        service = model.service_model
        key = (service.service_name, service.api_version, model.name)
        parsed = entry.parsed.get(key)
        if parsed is None:
            parsed = entry.parsed[key] = _parse(model, entry)
        with self._lock:
            bound = [(fake, real) for fake, real in self.bindings.items() if len(fake) >= 4]
        if bound:
            # The test asked with its real values: it gets them back where the recording had
            # their fakes (keys under the real prefix, ARNs with the real bucket).
            return http, _copy_unfaked(parsed, bound)
        return http, _copy(parsed)

    # -- misses --------------------------------------------------------------------------------

    def _miss(self, model: Any, params: Any, region: str | None = None) -> ReplayMissError:
        """The explanation of a miss: the closest recorded request and how this one differs."""
        asked = asked_params(params)
        names = ", ".join(str(i.path) for i in self.indexes)
        lines = [f"no recorded response in {names} for {model.name} with {_fmt(asked)}"]
        service = model.service_model.service_name
        same_op = [(i, e) for i in self.indexes for e in i.by_op.get((service, model.name), [])]
        if not same_op:
            held = sorted({e.operation for i in self.indexes for e in i.entries})
            lines.append(f"the cassette holds no {model.name} calls, only: {', '.join(held)}")
        else:
            live = match.view(live_request(params), dropped_members(service, model.name))

            def differences(entry: Entry) -> list[str]:
                if entry.view is None:
                    return ["(unreadable recording)"]
                return match.compare(entry.view, entry.sanitized, live, self.bindings).differences

            index, closest = min(same_op, key=lambda ie: len(differences(ie[1])))
            lines.append(
                f"closest recorded: {index.path.name} interaction {closest.index + 1} "
                f"with {_fmt(closest.params)}"
            )
            diffs = differences(closest)
            if diffs:
                lines.append("differs: " + "; ".join(diffs))
        lines.append(f"to re-record: {self._record_command(model, params, region)}")
        return ReplayMissError("\n  ".join(lines))

    def _record_command(self, model: Any, params: Any, region: str | None) -> str:
        """The `pagetape record` command for the call that missed: its own service and operation,
        every parameter it was asked with (the test's real values), its page size, and the
        cassette that holds the operation (else a new file beside the first)."""
        import shlex

        service = model.service_model.service_name
        name = snake_case(model.name)
        parts = ["pagetape record", service, name.replace("_", "-")]
        found = chain.operation(service, model.name)
        published = found[0] if found else operation_model(service, model.name)
        asked = repage.asked_members(published, params) if published is not None else {}
        asked = without_injected(service, model.name, asked)
        spec = found[1] if found else None
        if spec is not None:
            for token in spec.input_token:
                asked.pop(token, None)
            size = asked.pop(spec.limit_key, None) if spec.limit_key else None
            if size is not None:
                parts.append(f"--page-size {size}")
        for member in dropped_members(service, model.name):
            asked.pop(member, None)
        for key, value in sorted(asked.items()):
            text = value if isinstance(value, str) else json.dumps(codec.to_jsonable(value))
            parts.append(f"-p {shlex.quote(f'{key}={text}')}")
        if region:
            parts.append(f"--region {region}")
        held = [
            i
            for i in self.indexes
            if (i.cassette.metadata.service, i.cassette.metadata.operation) == (service, model.name)
        ]
        target = held[0].path if held else self.path.parent / f"{name}.json"
        parts.append(f"-o {shlex.quote(str(target))}")
        if target.exists():
            parts.append("--force")
        return " ".join(parts)


def asked_params(params: Any) -> dict[str, Any]:
    """The wire parameters of botocore's serialized request dict, as `Call.params` shows them."""
    return visible_params(live_request(params))


def _parse(model: Any, entry: Entry) -> dict[str, Any]:
    try:
        return codec.parse_response(
            model, entry.status, entry.headers, entry.body, streaming=model.has_streaming_output
        )
    except Exception as exc:  # a hand-edited or hostile body: botocore's parser gives up
        raise CassetteError(
            f"{entry.cassette}: interaction {entry.index + 1}: the recorded response does not "
            f"fit {model.name}'s output ({type(exc).__name__}: {exc})"
        ) from None


async def _parse_async(model: Any, entry: Entry, http: Any) -> tuple[Any, dict[str, Any]]:
    try:
        return await aio.parse_streaming(model, http)
    except Exception as exc:  # a hand-edited or hostile body: aiobotocore's parser gives up
        raise CassetteError(
            f"{entry.cassette}: interaction {entry.index + 1}: the recorded response does not "
            f"fit {model.name}'s output ({type(exc).__name__}: {exc})"
        ) from None


def _copy(value: Any) -> Any:
    """A fresh copy of a parsed response: containers copied, leaves (str, datetime...) shared."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


def _http(status: int, headers: dict[str, str], body: bytes, asynchronous: bool) -> Any:
    """An HTTP response botocore (or aiobotocore) reads and parses as one from the network."""
    if asynchronous:
        return aio.response(status, headers, body)
    from botocore.awsrequest import AWSResponse, HeadersDict

    return AWSResponse(None, status, HeadersDict(headers), _Raw(body))


def _unfake_in_place(value: Any, bound: list[tuple[str, str]]) -> None:
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in list(items):
        if type(item) in (dict, list):
            _unfake_in_place(item, bound)
        elif type(item) is str:
            value[key] = _copy_unfaked(item, bound)


def _copy_unfaked(value: Any, bound: list[tuple[str, str]]) -> Any:
    """A fresh copy with every bound fake replaced by the real value the test used."""
    if type(value) is dict:
        return {k: _copy_unfaked(v, bound) for k, v in value.items()}
    if type(value) is list:
        return [_copy_unfaked(v, bound) for v in value]
    if type(value) is str:
        for fake, real in bound:
            if fake in value:
                value = value.replace(fake, real)
    return value


def _page_label(entry: Entry) -> str:
    token = entry.params.get("nextToken")
    return f"{entry.operation}, token {token}" if token else f"{entry.operation}, first page"


def _fmt(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str) if params else "no parameters"


@dataclass
class ChainReplay:
    """What `pagetape replay` got back: the items of every page, and the error that ended it."""

    pages: int
    items: list[dict[str, Any]]
    error: str | None
    chains: int = 1  # separate walks from a first page, replayed in recorded order
    faulted: bool = False  # the error is an injected fault that outlasted botocore's retries
    calls: list[Call] = field(default_factory=list)  # every request and attempt


def replay_chain(
    path: str | os.PathLike[str], faults: Sequence[injected.Fault | str] = ()
) -> ChainReplay:
    """Walk the recorded chain through a real boto3 client, offline, as a user's loop would,
    reading each page with the chain view `record` used (`chain.page_of`). A cassette holding
    several walks of its operation (`chain.walks`: the listing called again) is walked once per
    walk, each from that walk's own first request. FAULTS are injected into the walk (the
    client's retry configuration is botocore's default, or AWS_RETRY_MODE/AWS_MAX_ATTEMPTS)."""
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError

    tape = Tape.load([path])
    for wanted in faults:
        tape.add_fault(injected.coerce(wanted))
    faulted = False
    meta = tape.metadata
    try:
        spec = resolve(meta.service, meta.operation).spec
    except PagetapeError:  # imported by `pagetape sanitize`: walk the usual nextToken chain
        spec = OperationSpec(operation=meta.operation, result_key=[meta.result_key or ""])
    items: list[Any] = []
    pages = 0
    error = None
    interactions = tape.cassette.interactions
    walks = chain.walks(meta.service, interactions)
    # Each walk of the operation: its first request (None: the metadata's parameters) and its
    # recorded pages (a walk a test cut short, its last token never asked, ends there).
    firsts: dict[int, tuple[cassette_io.Interaction | None, int]] = {}
    for interaction, walk in zip(interactions, walks, strict=True):
        if interaction.operation == meta.operation:
            first, length = firsts.get(walk, (interaction if firsts else None, 0))
            firsts[walk] = (first, length + 1)
    if not firsts:
        firsts[0] = (None, len(interactions))
    with isolated_environment(meta.region), tape:
        try:
            client = tape.client()
            model = client.meta.service_model
            if meta.operation not in model.operation_names:
                raise CassetteError(
                    f"{path}: metadata.operation {meta.operation!r} is not an operation of "
                    f"{meta.service}"
                )
            op = model.operation_model(meta.operation)
            method = getattr(client, snake_case(meta.operation))
            for first, length in firsts.values():
                asked = meta.params if first is None else _walk_params(meta.service, spec, first)
                # What botocore adds by itself (S3's EncodingType) it adds again; passed
                # explicitly it would change the answer (S3 keys left URL-encoded).
                params = typed(op, without_injected(meta.service, meta.operation, asked))
                walked = 0
                required = op.input_shape.required_members if op.input_shape else []
                if spec.limit_key and (meta.page_size is not None or spec.limit_key in required):
                    # The page size is no part of the match; a required one (Cognito's
                    # MaxResults) must still be sent for botocore to validate the call.
                    limit = op.input_shape.members[spec.limit_key].metadata.get("max", 10)
                    size = meta.page_size or limit
                    params[spec.limit_key] = limit_value(op, spec.limit_key, size)
                while True:
                    try:
                        page = method(**params)
                    except ClientError as exc:
                        info = exc.response.get("Error", {})
                        error = f"{info.get('Code')}: {info.get('Message', '')}".strip()
                        faulted = bool(tape.calls and tape.calls[-1].fault)
                        break
                    except HTTPClientError as exc:  # a transport fault that outlasted retries
                        if not (tape.calls and tape.calls[-1].fault):
                            raise
                        error, faulted = f"{type(exc).__name__}: {exc}", True
                        break
                    pages += 1
                    walked += 1
                    items.extend(chain.items_of(spec, page) or [])
                    view = chain.page_of(spec, (), page)
                    if not view.more or walked >= length:
                        break
                    advance(params, spec, view.given)
                if error is not None:
                    break
        except (BotoCoreError, ValueError) as exc:
            raise CassetteError(f"{path}: cannot replay its chain: {exc}") from None
    if not faulted:
        tape.check_faults()
    return ChainReplay(pages, items, error, len(firsts), faulted, list(tape.calls))


def _walk_params(service: str, spec: OperationSpec, first: cassette_io.Interaction) -> Any:
    """The parameters of a later walk's first request, read as `describe` reads the first
    one's: through pagetape's own model (a client's S3 model drops `{Bucket}` from its URIs)."""
    op = operation_model(first.service or service, first.operation)
    if op is None:
        return {}
    params = codec.request_members(op, first.request)
    for name in [*spec.input_token, spec.limit_key]:
        if name:
            params.pop(name, None)
    return params
