"""Record one operation's whole page chain from a live account into a sanitized cassette."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pagetape.aws import params as params_mod
from pagetape.aws.isolation import fresh_session
from pagetape.aws.specs import ResolvedSpec, advance, botocore_session, resolve, snake_case
from pagetape.cassette import store as cassette_io
from pagetape.errors import CassetteExistsError, ParameterError, RecordingError, UsageError
from pagetape.record.capture import Capture, tag_operation
from pagetape.sanitize import rules, writer
from pagetape.sanitize.keep import KeepPaths
from pagetape.wire import chain

if TYPE_CHECKING:
    import botocore.model

ProgressCallback = Callable[[int, int], None]


@dataclass
class RecordRequest:
    """Everything `pagetape record` was asked, before anything is resolved."""

    service: str
    operation: str
    pairs: list[str] = field(default_factory=list)
    params_json: str | None = None
    page_size: int | None = None
    max_pages: int | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    output: str | None = None
    force: bool = False
    record_errors: bool = False
    max_attempts: int = 5
    keep_rules: list[str] = field(default_factory=list)
    keep_paths: list[str] = field(
        default_factory=list
    )  # --keep: values kept real (pagetape.sanitize.keep)
    credentials: tuple[str, str] | None = None  # only for the embedded sandbox and tests
    check: bool = False  # `record --check`: walk and compare with OUTPUT, write nothing


@dataclass
class Plan:
    """A validated recording: resolved spec, typed parameters, output path. No network yet."""

    request: RecordRequest
    spec: ResolvedSpec
    op: botocore.model.OperationModel
    params: dict[str, Any]
    page_size: int | None
    output: Path


@dataclass
class RecordResult:
    """What a recording produced: where, how much, and the parameters a test must pass."""

    path: Path
    cassette: cassette_io.Cassette
    pages: int
    items: int
    params: dict[str, Any]


def default_output(service: str, operation: str, base: Path | None = None) -> Path:
    """cassettes/<service>/<operation_snake_case>.json."""
    return (base or Path("cassettes")) / service / f"{snake_case(operation)}.json"


def plan(request: RecordRequest) -> Plan:
    """Resolve and validate everything that can be checked offline; raises UsageError kinds."""
    spec = resolve(request.service, request.operation)
    model = botocore_session().get_service_model(spec.service)
    op = model.operation_model(spec.operation)
    if "bearer" in (model.metadata.get("signatureVersion"), op.auth_type):
        raise UsageError(
            f"{spec.service} {spec.operation} authenticates with a bearer token (SSO), which "
            "pagetape record does not support yet; only SigV4 credentials are used"
        )
    params = params_mod.parse_pairs(request.pairs, request.params_json, op)
    reserved = [*spec.spec.input_token, *([spec.spec.limit_key] if spec.spec.limit_key else [])]
    page_size = request.page_size
    s = spec.spec
    required = op.input_shape.required_members if op.input_shape else []
    if s.limit_key in required and page_size is None:
        # The page size is required by this operation (Cognito ListUserPools): the model's
        # maximum, else the spec's default, else a small page.
        limit = op.input_shape.members[s.limit_key].metadata if op.input_shape else {}
        page_size = int(limit.get("max") or s.page_size_default or 10)
    if page_size is not None:
        if s.limit_key is None:
            raise ParameterError(f"{spec.service} {s.operation} has no page-size parameter")
        hi = s.page_size_max
        if page_size < s.page_size_min or (hi is not None and page_size > hi):
            allowed = f"{s.page_size_min}..{hi}" if hi is not None else f">= {s.page_size_min}"
            raise ParameterError(
                f"--page-size {page_size} is outside the range {s.operation} accepts ({allowed})"
            )
    checked = dict(params)
    if s.limit_key and page_size is not None:
        checked[s.limit_key] = params_mod.limit_value(op, s.limit_key, page_size)
    params_mod.check(params, op, reserved, validate=checked)
    if request.max_pages is not None and request.max_pages < 1:
        raise ParameterError("--max-pages must be at least 1")
    rules.Switches.of(request.keep_rules)  # an unknown rule name: refused before any call
    KeepPaths.of(request.keep_paths)  # a malformed or secret-looking path: one sentence, now
    if request.max_attempts < 1:
        raise ParameterError("--max-attempts must be at least 1")
    output = Path(request.output) if request.output else default_output(spec.service, s.operation)
    if output.is_dir():
        raise UsageError(f"{output} is a folder; give a file path with -o")
    if request.check:  # `record --check`: compared with the cassette there, never written
        return Plan(request, spec, op, params, page_size, output)
    if output.exists() and not request.force:
        raise CassetteExistsError(
            f"{output} already exists; pass --force to overwrite it (or --check to see what "
            "a new recording would change)"
        )
    cassette_io.check_writable(output)  # before any live call, not after the whole chain
    return Plan(request, spec, op, params, page_size, output)


def _client(plan: Plan) -> tuple[Any, str]:
    import botocore.config
    import botocore.exceptions

    req = plan.request
    creds: dict[str, str] = {}
    if req.credentials:
        creds = {
            "aws_access_key_id": req.credentials[0],
            "aws_secret_access_key": req.credentials[1],
        }
    try:
        # botocore reads AWS_DEFAULT_REGION only; AWS_REGION is what most tools document.
        region_name = req.region or os.environ.get("AWS_REGION") or None
        session = fresh_session(profile_name=req.profile, region_name=region_name, **creds)
    except botocore.exceptions.ProfileNotFound:
        raise UsageError(f"the AWS profile {req.profile!r} is not configured") from None
    region = session.region_name
    if not region:
        raise UsageError(
            "no AWS region is configured; pass --region or set AWS_REGION or AWS_DEFAULT_REGION"
        )
    if session.get_credentials() is None:
        raise UsageError(
            "no AWS credentials were found; configure a profile (--profile) or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    config = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": req.max_attempts},
        connect_timeout=10,
        read_timeout=60,
    )
    try:
        client = session.client(plan.spec.service, endpoint_url=req.endpoint_url, config=config)
    except (ValueError, botocore.exceptions.BotoCoreError) as exc:
        # A malformed --endpoint-url / AWS_ENDPOINT_URL or region: botocore says which.
        raise UsageError(f"cannot create a {plan.spec.service} client: {exc}") from None
    client.meta.events.register("before-call", tag_operation)
    return client, region


@dataclass
class Walk:
    """A chain walked live: the captured exchanges (real values, not written anywhere)."""

    exchanges: list[Any]
    region: str
    pages: int
    items: int


def record(plan: Plan, progress: ProgressCallback | None = None) -> RecordResult:
    """Walk the chain live, capture, sanitize, prove no leak, write atomically."""
    walked = walk(plan, progress)
    tape, sanitizer = sanitized(plan, walked)
    writer.write(plan.output, tape, sanitizer, overwrite=plan.request.force)
    return RecordResult(plan.output, tape, walked.pages, walked.items, tape.metadata.params)


def sanitized(plan: Plan, walked: Walk) -> tuple[cassette_io.Cassette, Any]:
    """The cassette a walk makes, sanitized with the local secret, and its sanitizer (whose
    leak proof guards anything printed from it)."""
    return writer.build(
        walked.exchanges,
        walked.region,
        keep_rules=plan.request.keep_rules,
        params=plan.params,
        keep_paths=plan.request.keep_paths,
    )


def walk(plan: Plan, progress: ProgressCallback | None = None) -> Walk:
    """Walk the whole chain live and capture every exchange; nothing is written."""
    import botocore.exceptions

    client, region = _client(plan)
    s = plan.spec.spec
    method = getattr(client, snake_case(s.operation))
    call_params = dict(plan.params)
    if plan.page_size is not None and s.limit_key:
        call_params[s.limit_key] = params_mod.limit_value(plan.op, s.limit_key, plan.page_size)
    pages = items = 0
    error: str | None = None
    seen: set[tuple[str | None, ...]] = set()
    with Capture() as capture:
        while True:
            try:
                parsed = method(**call_params)
            except botocore.exceptions.ClientError as exc:
                info = exc.response.get("Error", {})
                error = f"{info.get('Code', 'Error')}: {info.get('Message', '')}".strip()
                if plan.request.record_errors:
                    break
                raise RecordingError(
                    f"{plan.spec.service} {s.operation} failed on page {pages + 1}: {error}; "
                    "nothing was written (use --record-errors to record the error)"
                ) from None
            except botocore.exceptions.BotoCoreError as exc:
                raise RecordingError(
                    f"{plan.spec.service} {s.operation} failed on page {pages + 1}: {exc}; "
                    "nothing was written"
                ) from None
            pages += 1
            page = chain.page_of(s, (), parsed)
            items += page.items or 0
            if progress:
                progress(pages, items)
            if not page.more:
                break
            tokens = chain.key(page.given)
            if tokens in seen:
                raise RecordingError(
                    f"{plan.spec.service} {s.operation} returned the same pagination token twice "
                    f"(page {pages}); the chain would never end, nothing was written"
                )
            seen.add(tokens)
            if plan.request.max_pages is not None and pages >= plan.request.max_pages:
                break
            advance(call_params, s, page.given)
    return Walk(capture.exchanges(), region, pages, items)
