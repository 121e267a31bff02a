"""Check one paginator end to end: synthesize, record through pagetape's `plan()`/`record()`
against the local server, `verify_file`, replay through a boto3 paginator inside the tape."""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jmespath

from conformance import synth
from conformance.server import ConformanceServer
from pagetape.wire.codec import wire_protocol

SANDBOX_KEY = ("AKIASANDBOXTESTS0000", "sandbox-test-secret-key")

# Stages, in order. A failure names the first stage that went wrong.
SYNTH, PLAN, RECORD, COUNT, VERIFY, REPLAY, COMPARE = (
    "synth", "plan", "record", "record-count", "verify", "replay", "replay-compare",
)  # fmt: skip


@dataclass
class Outcome:
    service: str
    operation: str
    protocol: str
    status: str  # pass | fail | unservable | harness
    stage: str = ""
    error_type: str = ""
    message: str = ""
    where: str = ""  # the innermost pagetape frame (file:function) of a raised exception
    cassette: str = ""  # the recorded file, when a check after recording failed

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _pagetape_frame(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/pagetape/" in f.filename or "/pagetape_aws/" in f.filename]
    if not ours:
        return ""
    f = ours[-1]
    return f"{Path(f.filename).name}:{f.name}"


def _fail(base: Outcome, stage: str, exc: BaseException | None, message: str = "") -> Outcome:
    base.status = "fail"
    base.stage = stage
    if exc is not None:
        base.error_type = type(exc).__name__
        base.message = " ".join(str(exc).split())[:600]
        base.where = _pagetape_frame(exc)
    else:
        base.error_type = "Mismatch"
        base.message = message[:600]
    return base


def check(server: ConformanceServer, service: str, operation: str, sid: int, out: Path) -> Outcome:
    """Run one paginator through record, verify and replay; never raises."""
    from pagetape.aws.isolation import isolated_environment
    from pagetape.aws.params import typed
    from pagetape.record.recording import RecordRequest, plan, record
    from pagetape.replay.engine import Tape
    from pagetape.verify.lint import verify_file

    protocol = wire_protocol(synth.session().get_service_model(service))
    outcome = Outcome(service, operation, protocol, "pass")
    try:
        scenario = synth.build(service, operation, sid)
    except synth.Unservable as exc:
        outcome.status, outcome.stage = "unservable", exc.group
        outcome.message = exc.reason
        return outcome
    path = out / f"{service}.{scenario.snake}.json"
    request = RecordRequest(
        service=service, operation=operation, params_json=json.dumps(scenario.params),
        page_size=scenario.page_size, region=synth.REGION, endpoint_url=server.endpoint_url,
        output=str(path), credentials=SANDBOX_KEY, max_attempts=1,
    )  # fmt: skip
    try:
        recording = plan(request)
    except Exception as exc:
        return _fail(outcome, PLAN, exc)
    try:
        with server.serving(scenario):
            result = record(recording)
    except Exception as exc:
        bypass = re.search(r'Could not connect to the endpoint URL: "(https?://[^"]+)"', str(exc))
        if bypass and not bypass.group(1).startswith(server.endpoint_url):
            outcome.status, outcome.stage = "unservable", "endpoint rules bypass endpoint_url"
            outcome.message = f"botocore sent the request to {bypass.group(1)}, not to the server"
            return outcome
        return _fail(outcome, RECORD, exc)
    if scenario.served != [1, 2, 3] or result.pages != 3:
        return _fail(
            outcome, COUNT, None,
            f"server answered pages {scenario.served}; record() counted {result.pages} pages",
        )  # fmt: skip
    outcome.cassette = str(path)
    try:
        findings = verify_file(path)
    except Exception as exc:
        return _fail(outcome, VERIFY, exc)
    if findings:
        text = "; ".join(str(f).replace(str(path), "<cassette>") for f in findings[:3])
        return _fail(outcome, VERIFY, None, f"{len(findings)} findings: {text}")
    try:
        pages = _replay(path, scenario, typed, Tape, isolated_environment)
    except Exception as exc:
        return _fail(outcome, REPLAY, exc)
    got = [
        {k: synth.count(jmespath.search(k, p)) for k in scenario.paging.result_key} for p in pages
    ]
    if got != scenario.counts:
        return _fail(outcome, COMPARE, None, f"replayed counts {got}, served {scenario.counts}")
    missing = [
        k for k in scenario.paging.non_aggregate_keys
        if any(jmespath.search(k, p) is None for p in pages)
        and all(jmespath.search(k, p) is not None for p in scenario.pages)
    ]  # fmt: skip
    if missing:
        return _fail(outcome, COMPARE, None, f"non-aggregate keys lost in replay: {missing}")
    outcome.cassette = ""
    return outcome


def _replay(
    path: Path, scenario: synth.Scenario, typed: Any, tape_cls: Any, isolated: Any
) -> list[Any]:
    """Replay through a real boto3 paginator inside the tape (any client replays while a tape
    is active; the client is kept per service because building one is the sweep's largest
    fixed cost)."""
    with isolated(synth.REGION), tape_cls.load([path]) as tape:
        client = replay_client(scenario.service)
        params = typed(scenario.op, tape.metadata.params)
        config = {"PageSize": scenario.page_size} if scenario.page_size is not None else {}
        paginator = client.get_paginator(scenario.snake)
        pages = list(paginator.paginate(**params, PaginationConfig=config))
        tape.assert_exhausted()
    return pages


_CLIENTS: dict[str, Any] = {}


def replay_client(service: str) -> Any:
    """A client of the last service asked for (models of every service would not fit in a
    small worker's memory), with pagetape's replay credentials and the recording's region."""
    import boto3

    from pagetape.aws.isolation import REPLAY_CREDENTIALS

    if service not in _CLIENTS:
        _CLIENTS.clear()
        _CLIENTS[service] = boto3.Session().client(
            service, region_name=synth.REGION,
            aws_access_key_id=REPLAY_CREDENTIALS[0], aws_secret_access_key=REPLAY_CREDENTIALS[1],
        )  # fmt: skip
    return _CLIENTS[service]


_next_sid = iter(range(1, 10**9))


def check_service(server: ConformanceServer, service: str, out: Path) -> list[Outcome]:
    """Every paginator of SERVICE, in name order."""
    return [
        check(server, service, operation, next(_next_sid), out)
        for operation in sorted(synth.paginators(service))
    ]
