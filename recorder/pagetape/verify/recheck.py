"""`pagetape record --check`: walk a cassette's chain again live and say what a new recording
would change, writing nothing.

The walk uses the cassette's own service, operation, parameters, page size, region and kept
rules and paths (the command line may override them, and must give the real value of a
parameter the cassette holds only as a fake). The new walk is sanitized in memory with the same
local secret, so the same real value gets the same fake, and compared with the cassette by
`pagetape.verify.diff`: the report shows fakes and public values only, and the sanitizer's own
leak proof runs over the report before anyone sees it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from pagetape.aws.specs import squash
from pagetape.cassette import store as cassette_io
from pagetape.errors import ParameterError, UsageError
from pagetape.record import recording
from pagetape.record.recording import RecordRequest
from pagetape.sanitize.proof import strings
from pagetape.sanitize.secret import fakes_seal, load_secret
from pagetape.verify.diff import CassetteDiff, diff


@dataclass(frozen=True)
class Recheck:
    """What a new recording of PATH would change."""

    path: Path
    diff: CassetteDiff
    lines: list[str]  # the report, leak-proofed
    same_secret: bool  # False: the cassette's fakes come from another secret, every fake differs


def request_for(given: RecordRequest, path: Path, tape: cassette_io.Cassette) -> RecordRequest:
    """GIVEN completed from the cassette: what the command line leaves out, the cassette says."""
    meta = tape.metadata
    for name, value in (("SERVICE", given.service), ("OPERATION", given.operation)):
        recorded = meta.service if name == "SERVICE" else meta.operation
        if value and squash(value) != squash(recorded):
            raise UsageError(
                f"{path} records {meta.service} {meta.operation}, not {value}; check it with "
                f"'pagetape record --check -o {path}'"
            )
    overridden = {pair.partition("=")[0].strip() for pair in given.pairs}
    try:
        extra = json.loads(given.params_json) if given.params_json else {}
    except ValueError:
        extra = None  # plan() names the bad JSON
    if isinstance(extra, dict):
        overridden |= set(extra)
    fakes = set(meta.fakes)
    for name, value in meta.params.items():
        if name not in overridden and any(s in fakes for _, s in strings(value)):
            raise ParameterError(
                f"{path}: parameter {name} is recorded only as a sanitized fake; pass its real "
                f"value with -p {name}=VALUE"
            )
    params = {k: v for k, v in meta.params.items() if k not in overridden}
    params_json = given.params_json
    if isinstance(extra, dict):
        params_json = json.dumps({**params, **extra}) if params or extra else None
    return dataclasses.replace(
        given,
        service=meta.service,
        operation=meta.operation,
        params_json=params_json,
        page_size=given.page_size if given.page_size is not None else meta.page_size,
        region=given.region or meta.region,
        output=str(path),
        keep_rules=sorted({*given.keep_rules, *meta.kept_rules}),
        keep_paths=sorted({*given.keep_paths, *meta.kept_paths}),
        check=True,
    )


def recheck(given: RecordRequest, progress: recording.ProgressCallback | None = None) -> Recheck:
    """Walk GIVEN's cassette live again and compare (see the module docstring)."""
    if given.output:
        path = Path(given.output)
    elif given.service and given.operation:
        plan = recording.plan(dataclasses.replace(given, check=True))
        path = plan.output
    else:
        raise UsageError("pagetape record --check needs the cassette: -o CASSETTE")
    tape = cassette_io.load(path)  # names the file when it is missing or malformed
    plan = recording.plan(request_for(given, path, tape))
    walked = recording.walk(plan, progress)
    fresh, sanitizer = recording.sanitized(plan, walked)
    found = diff(tape, fresh)
    lines = found.lines()
    # The proof reads JSON (it names the field of a hit): the report as one JSON document.
    sanitizer.check_leaks(json.dumps({"report": [*lines, found.stat()]}).encode())
    seal = tape.metadata.fakes_seal
    same = seal is None or seal == fakes_seal(load_secret(), tape.metadata.fakes)
    return Recheck(path, found, lines, same)
