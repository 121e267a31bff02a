"""Deterministic, realistic account data for the embedded sandbox.

The data is generated from a seed with a private ``random.Random`` so that two runs (and
two processes) produce byte-identical answers, which is what lets a recording be compared
with a re-recording.  Every field kind that a real account would leak (account ids, ARNs,
bucket names, S3 URIs, emails, IPs, access keys, ...) is planted on purpose and remembered,
so leak tests can prove the sanitizer removed all of it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "OPERATIONS",
    "REGION",
    "ApiError",
    "SandboxAccount",
    "SandboxOperation",
    "build_account",
    "parse_iso8601",
    "validation_message",
    "violation",
]

REGION = "us-east-1"
UTC = timezone.utc

FRAUD = ("frauddetector", "GetBatchPredictionJobs")
SEGMENTS = ("personalize", "ListBatchSegmentJobs")
DELETIONS = ("personalize", "ListDataDeletionJobs")
AUDIENCES = ("cleanroomsml", "ListAudienceGenerationJobs")
IMPORTS = ("bedrock", "ListModelImportJobs")


class ApiError(Exception):
    """An AWS error answer; raised by the shared query code so server and tests agree."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class SandboxOperation:
    """What differs between the five operations, apart from their data."""

    service: str
    operation: str
    list_key: str
    max_page: int
    validation_code: str
    token_error_code: str
    iam_action: str
    filters: tuple[str, ...]


OPERATIONS: dict[tuple[str, str], SandboxOperation] = {
    FRAUD: SandboxOperation(
        *FRAUD,
        list_key="batchPredictions",
        max_page=50,
        validation_code="ValidationException",
        token_error_code="ValidationException",
        iam_action="frauddetector:GetBatchPredictionJobs",
        filters=("jobId",),
    ),
    SEGMENTS: SandboxOperation(
        *SEGMENTS,
        list_key="batchSegmentJobs",
        max_page=100,
        validation_code="InvalidInputException",
        token_error_code="InvalidNextTokenException",
        iam_action="personalize:ListBatchSegmentJobs",
        filters=("solutionVersionArn",),
    ),
    DELETIONS: SandboxOperation(
        *DELETIONS,
        list_key="dataDeletionJobs",
        max_page=100,
        validation_code="InvalidInputException",
        token_error_code="InvalidNextTokenException",
        iam_action="personalize:ListDataDeletionJobs",
        filters=("datasetGroupArn",),
    ),
    AUDIENCES: SandboxOperation(
        *AUDIENCES,
        list_key="audienceGenerationJobs",
        max_page=100,
        validation_code="ValidationException",
        token_error_code="ValidationException",
        iam_action="cleanrooms-ml:ListAudienceGenerationJobs",
        filters=("collaborationId", "configuredAudienceModelArn"),
    ),
    IMPORTS: SandboxOperation(
        *IMPORTS,
        list_key="modelImportJobSummaries",
        max_page=1000,
        validation_code="ValidationException",
        token_error_code="ValidationException",
        iam_action="bedrock:ListModelImportJobs",
        filters=(
            "creationTimeAfter",
            "creationTimeBefore",
            "statusEquals",
            "nameContains",
            "sortBy",
            "sortOrder",
        ),
    ),
}

# Input constraints copied from the botocore models, used for AWS-style validation messages.
_FRAUD_ID = r"^[0-9a-z_-]+$"
_PERSONALIZE_ARN = r"arn:([a-z\d-]+):personalize:.*:.*:.+"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CAM_ARN = (
    r"arn:aws[-a-z]*:cleanrooms-ml:[-a-z0-9]+:[0-9]{12}:configured-audience-model/[-a-zA-Z0-9_/.]+"
)
_BEDROCK_JOB_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*"
_IMPORT_STATUSES = ("InProgress", "Completed", "Failed")

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_iso8601(value: str) -> datetime:
    """Parse the ISO-8601 forms botocore sends (Python 3.10's fromisoformat rejects 'Z')."""
    m = _ISO_RE.match(value)
    if m is None:
        raise ValueError(f"not an ISO-8601 timestamp: {value!r}")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    tz = UTC
    offset = m.group(8)
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)


def _iso_seconds(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_millis(dt: datetime) -> str:
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond // 1000:03d}Z"


def _epoch(dt: datetime) -> float:
    return round(dt.timestamp(), 3)


def violation(value: object, member: str, constraint: str) -> str:
    return f"Value '{value}' at '{member}' failed to satisfy constraint: Member must {constraint}"


def validation_message(violations: list[str]) -> str:
    """Join violations the way AWS's request validation does."""
    n = len(violations)
    noun = "error" if n == 1 else "errors"
    return f"{n} validation {noun} detected: " + "; ".join(violations)


def _check_string(
    out: list[str],
    member: str,
    value: str,
    *,
    min_len: int | None = None,
    max_len: int | None = None,
    pattern: str | None = None,
) -> None:
    if min_len is not None and len(value) < min_len:
        out.append(violation(value, member, f"have length greater than or equal to {min_len}"))
    if max_len is not None and len(value) > max_len:
        out.append(violation(value, member, f"have length less than or equal to {max_len}"))
    if pattern is not None and re.fullmatch(pattern, value) is None:
        out.append(violation(value, member, f"satisfy regular expression pattern: {pattern}"))


def _check_enum(out: list[str], member: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        out.append(violation(value, member, f"satisfy enum value set: [{', '.join(allowed)}]"))


@dataclass(frozen=True, eq=False)
class SandboxAccount:
    """One fake AWS account: its resources, the values planted in them, and the query logic."""

    seed: int
    account_id: str
    collaborator_account_id: str
    region: str
    company: str
    buckets: tuple[str, ...]
    emails: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    access_key_ids: tuple[str, ...]
    iam_role_arns: tuple[str, ...]
    detector_names: tuple[str, ...]
    solution_version_arns: tuple[str, ...]
    dataset_group_arns: tuple[str, ...]
    collaboration_ids: tuple[str, ...]
    configured_audience_model_arns: tuple[str, ...]
    denied_principal_arn: str
    token_buckets: Mapping[tuple[str, str], str]
    token_key: bytes
    _items: Mapping[tuple[str, str], tuple[dict[str, Any], ...]] = field(repr=False)
    _planted: frozenset[str] = field(repr=False)

    def planted_values(self) -> set[str]:
        """Every sensitive string in the data, error messages and pagination tokens."""
        return set(self._planted)

    def expected_items(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The wire-JSON items a whole pagination chain returns for these filters, in order.

        maxResults/nextToken are ignored; invalid filters raise ApiError like the server would.
        """
        clean = {
            k: v
            for k, v in (params or {}).items()
            if k not in ("maxResults", "nextToken") and v is not None
        }
        return self.query(service, operation, clean)[0]

    def query(
        self, service: str, operation: str, params: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], str]:
        """Validate params and return (matching items in order, fingerprint of the filters).

        The fingerprint is what a pagination token is bound to, so a token replayed with
        other filters is detectable without server state.
        """
        key = (service, operation)
        spec = OPERATIONS.get(key)
        if spec is None:
            raise KeyError(f"unknown operation {service}.{operation}")
        problems: list[str] = []
        if "maxResults" in params:
            size = params["maxResults"]
            if not isinstance(size, int) or isinstance(size, bool):
                problems.append(violation(size, "maxResults", "be an integer"))
            elif size < 1:
                problems.append(
                    violation(size, "maxResults", "have value greater than or equal to 1")
                )
            elif size > spec.max_page:
                problems.append(
                    violation(
                        size, "maxResults", f"have value less than or equal to {spec.max_page}"
                    )
                )
        for name in spec.filters:
            value = params.get(name)
            if value is not None and not isinstance(value, (str, datetime, int, float)):
                problems.append(violation(value, name, "be a string"))
        if problems:
            raise ApiError(spec.validation_code, validation_message(problems))
        handler = _QUERIES[key]
        canonical, matcher = handler(self, params, problems)
        if problems:
            raise ApiError(spec.validation_code, validation_message(problems))
        items = [dict(item) for item in matcher(self._items[key])]
        blob = json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
        return items, hashlib.sha256(blob).hexdigest()[:16]


_Matcher = Callable[[tuple[dict[str, Any], ...]], list[dict[str, Any]]]
_Query = Callable[[SandboxAccount, Mapping[str, Any], list[str]], tuple[dict[str, str], _Matcher]]


def _str_param(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _query_fraud(
    account: SandboxAccount, params: Mapping[str, Any], problems: list[str]
) -> tuple[dict[str, str], _Matcher]:
    job_id = _str_param(params, "jobId")
    if job_id is None:
        return {}, list
    _check_string(problems, "jobId", job_id, min_len=1, max_len=64, pattern=_FRAUD_ID)
    if problems:
        return {}, list
    if not any(item["jobId"] == job_id for item in account._items[FRAUD]):
        raise ApiError("ResourceNotFoundException", f"Batch prediction job {job_id} not found.")

    def match(items: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
        return [item for item in items if item["jobId"] == job_id]

    return {"jobId": job_id}, match


def _arn_filter(member: str) -> _Query:
    def query(
        account: SandboxAccount, params: Mapping[str, Any], problems: list[str]
    ) -> tuple[dict[str, str], _Matcher]:
        arn = _str_param(params, member)
        if arn is None:
            return {}, list
        _check_string(problems, member, arn, max_len=256, pattern=_PERSONALIZE_ARN)

        def match(items: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
            return [item for item in items if item[member] == arn]

        return {member: arn}, match

    return query


def _query_audiences(
    account: SandboxAccount, params: Mapping[str, Any], problems: list[str]
) -> tuple[dict[str, str], _Matcher]:
    canonical: dict[str, str] = {}
    collab = _str_param(params, "collaborationId")
    model = _str_param(params, "configuredAudienceModelArn")
    if collab is not None:
        _check_string(problems, "collaborationId", collab, min_len=36, max_len=36, pattern=_UUID)
        canonical["collaborationId"] = collab
    if model is not None:
        _check_string(
            problems,
            "configuredAudienceModelArn",
            model,
            min_len=20,
            max_len=2048,
            pattern=_CAM_ARN,
        )
        canonical["configuredAudienceModelArn"] = model

    def match(items: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
        return [
            item
            for item in items
            if (collab is None or item.get("collaborationId") == collab)
            and (model is None or item["configuredAudienceModelArn"] == model)
        ]

    return canonical, match


def _time_param(params: Mapping[str, Any], name: str, problems: list[str]) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        return parse_iso8601(text)
    except ValueError:
        problems.append(violation(text, name, "be a valid ISO-8601 timestamp"))
        return None


def _query_imports(
    account: SandboxAccount, params: Mapping[str, Any], problems: list[str]
) -> tuple[dict[str, str], _Matcher]:
    after = _time_param(params, "creationTimeAfter", problems)
    before = _time_param(params, "creationTimeBefore", problems)
    status = _str_param(params, "statusEquals")
    name = _str_param(params, "nameContains")
    sort_by = _str_param(params, "sortBy") or "CreationTime"
    order = _str_param(params, "sortOrder") or "Descending"
    if status is not None:
        _check_enum(problems, "statusEquals", status, _IMPORT_STATUSES)
    if name is not None:
        _check_string(
            problems, "nameContains", name, min_len=1, max_len=63, pattern=_BEDROCK_JOB_NAME
        )
    _check_enum(problems, "sortBy", sort_by, ("CreationTime",))
    _check_enum(problems, "sortOrder", order, ("Ascending", "Descending"))
    canonical = {"sortBy": sort_by, "sortOrder": order}
    if after is not None:
        canonical["creationTimeAfter"] = after.isoformat()
    if before is not None:
        canonical["creationTimeBefore"] = before.isoformat()
    if status is not None:
        canonical["statusEquals"] = status
    if name is not None:
        canonical["nameContains"] = name

    def match(items: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
        keep = []
        for item in items:
            created = parse_iso8601(item["creationTime"])
            if after is not None and not created > after:
                continue
            if before is not None and not created < before:
                continue
            if status is not None and item["status"] != status:
                continue
            if name is not None and name not in item["jobName"]:
                continue
            keep.append(item)
        keep.sort(key=lambda item: parse_iso8601(item["creationTime"]))
        if order == "Descending":
            keep.reverse()
        return keep

    return canonical, match


_QUERIES: dict[tuple[str, str], _Query] = {
    FRAUD: _query_fraud,
    SEGMENTS: _arn_filter("solutionVersionArn"),
    DELETIONS: _arn_filter("datasetGroupArn"),
    AUDIENCES: _query_audiences,
    IMPORTS: _query_imports,
}


# --------------------------------------------------------------------------- generation

_COMPANIES = ("northwind", "contoso", "globex", "initech", "tailspin", "fabrikam")
_FIRST = ("priya", "mateo", "aisha", "lukas", "mei", "oluwaseun", "ingrid", "rafael")
_LAST = ("raman", "okafor", "lindqvist", "tanaka", "moreau", "castillo", "nakamura", "haddad")
_YEAR_START = datetime(2024, 1, 3, 8, 0, tzinfo=UTC)
_YEAR_END = datetime(2024, 12, 18, 20, 0, tzinfo=UTC)


class _Gen:
    """Generation context: the seeded RNG plus a recorder of every planted value."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.planted: set[str] = set()

    def plant(self, value: str) -> str:
        self.planted.add(value)
        return value

    def plant_used(self, text: str, values: Mapping[str, str]) -> str:
        """Remember only the context values that actually ended up in a free-text field."""
        for value in values.values():
            if value in text:
                self.planted.add(value)
        return text

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def account_id(self, exclude: set[str]) -> str:
        while True:
            value = str(self.rng.randint(200_000_000_000, 989_999_999_999))
            if value not in exclude:
                return value

    def times(
        self, n: int, start: datetime = _YEAR_START, end: datetime = _YEAR_END
    ) -> list[datetime]:
        """n distinct, ascending instants with millisecond precision."""
        span = int((end - start).total_seconds())
        seconds = sorted(self.rng.sample(range(span), n))
        return [
            start + timedelta(seconds=s, milliseconds=self.rng.randint(0, 999)) for s in seconds
        ]

    def shuffled(self, values: list[str]) -> list[str]:
        out = list(values)
        self.rng.shuffle(out)
        return out


@dataclass
class _Shared:
    acct: str
    collaborator: str
    company: str
    domain: str
    emails: list[str]
    ips: list[str]
    akias: list[str]
    buckets: dict[str, str]
    roles: dict[str, str]


def _arn(service: str, acct: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{acct}:{resource}"


def _fraud_jobs(g: _Gen, s: _Shared) -> tuple[list[dict[str, Any]], list[str]]:
    detectors = [
        (f"{s.company}_card_not_present", f"{s.company}_card_txn", "cnp"),
        (f"{s.company}_account_takeover", f"{s.company}_login_event", "ato"),
        (f"{s.company}_promo_abuse", f"{s.company}_promo_redemption", "promo"),
    ]
    for det, event, _ in detectors:
        g.plant(det)
        g.plant(event)
    roles = [s.roles["fraud"], s.roles["fraud_path"]]
    kms = g.plant(_arn("kms", s.acct, f"key/{g.plant(g.uuid())}"))
    starts = g.times(23)
    statuses = g.shuffled(["COMPLETE"] * 14 + ["FAILED"] * 4 + ["CANCELED"] * 2)
    statuses += ["CANCEL_IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS_INITIALIZING"]
    failures = [
        "Unable to assume role {role}: its trust policy does not allow "
        "frauddetector.amazonaws.com (account {acct}).",
        "Access Denied (403) reading {input}; the policy of bucket {in_bucket} blocks the "
        "service principal. Contact {email} for access.",
        "Unable to write results to {output}: KMS key {kms} is disabled.",
        "Row 48213 of {input} has an unknown event variable; the file was uploaded by {email} "
        "from {ip} with access key {akia}.",
    ]
    jobs: list[dict[str, Any]] = []
    n_failed = 0
    for i, (start, status) in enumerate(zip(starts, statuses, strict=True)):
        det, event, short = detectors[g.rng.randrange(3)]
        job_id = g.plant(f"{s.company}-{short}-{start:%Y%m%d}-{g.hex(6)}")
        role = roles[1 if i % 3 == 0 else 0]
        input_path = g.plant(
            f"s3://{s.buckets['fraud_in']}/events/{det}/{start:%Y/%m/%d}/batch-{g.hex(4)}.csv"
        )
        output_path = g.plant(f"s3://{s.buckets['fraud_out']}/scores/{job_id}/")
        total = g.rng.randint(5_000, 2_000_000)
        duration = timedelta(seconds=g.rng.randint(600, 5 * 3600))
        job: dict[str, Any] = {"jobId": job_id, "status": status}
        ctx = {
            "role": role,
            "acct": s.acct,
            "input": input_path,
            "in_bucket": s.buckets["fraud_in"],
            "output": output_path,
            "kms": kms,
            "email": s.emails[i % len(s.emails)],
            "ip": s.ips[i % len(s.ips)],
            "akia": s.akias[0],
        }
        if status == "FAILED":
            job["failureReason"] = g.plant_used(failures[n_failed % 4].format(**ctx), ctx)
            n_failed += 1
        elif status == "CANCELED":
            text = "Canceled by {email} from {ip}.".format(**ctx)
            job["failureReason"] = g.plant_used(text, ctx)
        job["startTime"] = _iso_seconds(start)
        if status in ("COMPLETE", "FAILED", "CANCELED"):
            job["completionTime"] = _iso_seconds(start + duration)
            job["lastHeartbeatTime"] = _iso_seconds(start + duration - timedelta(seconds=17))
        elif status != "IN_PROGRESS_INITIALIZING":
            job["lastHeartbeatTime"] = _iso_seconds(start + duration / 3)
        job["inputPath"] = input_path
        job["outputPath"] = output_path
        job["eventTypeName"] = event
        job["detectorName"] = det
        job["detectorVersion"] = f"{g.rng.randint(1, 12)}.0"
        job["iamRoleArn"] = role
        job["arn"] = g.plant(_arn("frauddetector", s.acct, f"batch-prediction/{job_id}"))
        if status == "COMPLETE":
            job["processedRecordsCount"] = total
        elif status != "IN_PROGRESS_INITIALIZING":
            job["processedRecordsCount"] = g.rng.randint(0, total - 1)
        if status != "IN_PROGRESS_INITIALIZING":
            job["totalRecordsCount"] = total
        jobs.append(job)
    jobs.reverse()
    return jobs, [d for d, _, _ in detectors]


def _segment_jobs(g: _Gen, s: _Shared) -> tuple[list[dict[str, Any]], list[str]]:
    solutions = []
    for name in ("item-affinity", "item-attribute-affinity", "lapsed-buyer-affinity"):
        sol = g.plant(f"{s.company}-{name}")
        version = g.plant(g.hex(8))
        solutions.append(g.plant(_arn("personalize", s.acct, f"solution/{sol}/{version}")))
    assignment = [0] * 13 + [1] * 11 + [2] * 7
    g.rng.shuffle(assignment)
    created = g.times(31)
    statuses = g.shuffled(["ACTIVE"] * 25 + ["CREATE FAILED"] * 4)
    statuses += ["CREATE IN_PROGRESS", "CREATE PENDING"]
    topics = ("winter-boots", "loyalty-gold", "lapsed-buyers", "new-arrivals", "gift-cards")
    bucket = s.buckets["personalize"]
    failures = [
        "Amazon Personalize cannot read {input}. Make sure that role {role} allows s3:GetObject.",
        "Output location {output} is not writable by the service in account {acct}.",
        "Invalid item ID in row 1921 of {input}; the file was uploaded by {email}.",
        "Access key {akia} used from {ip} is not authorized to perform s3:PutObject on {s3arn}.",
    ]
    jobs: list[dict[str, Any]] = []
    n_failed = 0
    for i, (when, status, sv) in enumerate(zip(created, statuses, assignment, strict=True)):
        topic = topics[g.rng.randrange(len(topics))]
        name = g.plant(f"{s.company}-{topic}-{when:%Y%m%d}-{g.hex(4)}")
        job: dict[str, Any] = {
            "batchSegmentJobArn": g.plant(_arn("personalize", s.acct, f"batch-segment-job/{name}")),
            "jobName": name,
            "status": status,
            "creationDateTime": _epoch(when),
        }
        done = when + timedelta(seconds=g.rng.randint(240, 7200))
        job["lastUpdatedDateTime"] = _epoch(
            when + timedelta(seconds=3) if status == "CREATE PENDING" else done
        )
        if status == "CREATE FAILED":
            ctx = {
                "input": f"s3://{bucket}/segments/input/{topic}/users-{when:%Y%m%d}.json",
                "output": f"s3://{bucket}/segments/output/{name}/",
                "role": s.roles["personalize"],
                "acct": s.acct,
                "email": s.emails[(i + 1) % len(s.emails)],
                "akia": s.akias[1],
                "ip": s.ips[1],
                "s3arn": f"arn:aws:s3:::{bucket}/segments/output",
            }
            job["failureReason"] = g.plant_used(failures[n_failed % 4].format(**ctx), ctx)
            n_failed += 1
        job["solutionVersionArn"] = solutions[sv]
        jobs.append(job)
    jobs.reverse()
    return jobs, solutions


def _deletion_jobs(g: _Gen, s: _Shared) -> tuple[list[dict[str, Any]], list[str]]:
    groups = [
        g.plant(_arn("personalize", s.acct, f"dataset-group/{g.plant(f'{s.company}-{n}')}"))
        for n in ("retail-ecommerce", "video-on-demand")
    ]
    assignment = [0] * 11 + [1] * 8
    g.rng.shuffle(assignment)
    created = g.times(19)
    statuses = [*g.shuffled(["ACTIVE"] * 15 + ["CREATE FAILED"] * 3), "CREATE IN_PROGRESS"]
    bucket = s.buckets["deletion"]
    failures = [
        "Could not read the deletion list {input}: role {role} is missing s3:GetObject.",
        "Deletion list {input} references 3 unknown users; request submitted by {email} from {ip}.",
        "Dataset group {group} is being updated by another job started with access key {akia}.",
    ]
    jobs: list[dict[str, Any]] = []
    n_failed = 0
    for i, (when, status, dg) in enumerate(zip(created, statuses, assignment, strict=True)):
        kind = ("gdpr", "ccpa")[i % 2]
        name = g.plant(f"{kind}-erasure-{when:%Y%m%d}-{g.hex(6)}")
        job: dict[str, Any] = {
            "dataDeletionJobArn": g.plant(_arn("personalize", s.acct, f"data-deletion-job/{name}")),
            "datasetGroupArn": groups[dg],
            "jobName": name,
            "status": status,
            "creationDateTime": _epoch(when),
            "lastUpdatedDateTime": _epoch(when + timedelta(seconds=g.rng.randint(60, 86_400))),
        }
        if status == "CREATE FAILED":
            ctx = {
                "input": f"s3://{bucket}/requests/{when:%Y/%m}/{name}.csv",
                "role": s.roles["personalize"],
                "email": s.emails[(i + 2) % len(s.emails)],
                "ip": s.ips[0],
                "group": groups[dg],
                "akia": s.akias[0],
            }
            job["failureReason"] = g.plant_used(failures[n_failed % 3].format(**ctx), ctx)
            n_failed += 1
        jobs.append(job)
    jobs.reverse()
    return jobs, groups


def _audience_jobs(g: _Gen, s: _Shared) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    collabs = [g.plant(g.uuid()) for _ in range(2)]
    models = []
    for _ in range(3):
        model_id = g.plant(g.uuid())
        models.append(
            g.plant(_arn("cleanrooms-ml", s.acct, f"configured-audience-model/{model_id}"))
        )
    combos = [(0, 0)] * 8 + [(1, 0)] * 6 + [(1, 1)] * 6 + [(2, 1)] * 7
    g.rng.shuffle(combos)
    created = g.times(27)
    statuses = g.shuffled(
        ["ACTIVE"] * 19
        + ["CREATE_FAILED"] * 3
        + ["CREATE_IN_PROGRESS", "DELETE_PENDING", "DELETE_FAILED"]
    )
    statuses += ["CREATE_IN_PROGRESS", "CREATE_PENDING"]
    audiences = ("loyalty-gold", "churn-risk", "high-ltv", "new-parents", "b2b-buyers")
    descriptions = [
        "Seed audience {seed} uploaded by {email}.",
        "Lookalikes for partner account {partner}; output written with role {role}.",
        None,
        "Weekly refresh requested from {ip} by {email}.",
    ]
    jobs: list[dict[str, Any]] = []
    for i, (when, status, (model, collab)) in enumerate(
        zip(created, statuses, combos, strict=True)
    ):
        audience = audiences[g.rng.randrange(len(audiences))]
        job_uuid = g.plant(g.uuid())
        job: dict[str, Any] = {
            "createTime": _iso_millis(when),
            "updateTime": _iso_millis(when + timedelta(seconds=g.rng.randint(30, 40_000))),
            "audienceGenerationJobArn": g.plant(
                _arn("cleanrooms-ml", s.acct, f"audience-generation-job/{job_uuid}")
            ),
            "name": g.plant(f"{s.company}-lookalike-{audience}-{when:%Y%m%d}-{g.hex(4)}"),
        }
        template = descriptions[i % 4]
        if template is not None:
            ctx = {
                "seed": f"s3://{s.buckets['cleanrooms']}/seed-audiences/{audience}/{when:%Y-%m}/"
                "members.csv",
                "email": s.emails[i % len(s.emails)],
                "partner": s.collaborator,
                "role": s.roles["cleanrooms"],
                "ip": s.ips[(i // 4) % 2],
            }
            job["description"] = g.plant_used(template.format(**ctx), ctx)
        job["status"] = status
        job["configuredAudienceModelArn"] = models[model]
        job["collaborationId"] = collabs[collab]
        by_partner = (collab == 1 and i % 2 == 0) or (collab == 0 and i % 5 == 0)
        job["startedBy"] = s.collaborator if by_partner else s.acct
        jobs.append(job)
    jobs.reverse()
    return jobs, collabs, models


def _import_jobs(g: _Gen, s: _Shared) -> list[dict[str, Any]]:
    bases = (
        "llama3-1-8b",
        "Llama-3.1-70B",
        "mistral-7b",
        "Mistral-Small",
        "flan-t5-xl",
        "codellama-13b",
    )
    purposes = ("support-bot", "claims-triage", "sql-copilot", "catalog-writer")
    created = g.times(26)
    statuses = g.shuffled(["Completed"] * 15 + ["Failed"] * 5)
    statuses += g.shuffled(["InProgress"] * 5 + ["Completed"])
    jobs: list[dict[str, Any]] = []
    version = 0
    for when, status in zip(created, statuses, strict=True):
        base = bases[g.rng.randrange(len(bases))]
        purpose = purposes[g.rng.randrange(len(purposes))]
        name = g.plant(f"{s.company}-{base}-{purpose}-{when:%m%d}-{g.hex(4)}")
        job_id = g.plant(g.alnum(12))
        modified = when + timedelta(seconds=g.rng.randint(900, 6 * 3600), milliseconds=317)
        job: dict[str, Any] = {
            "jobArn": g.plant(_arn("bedrock", s.acct, f"model-import-job/{job_id}")),
            "jobName": name,
            "status": status,
            "lastModifiedTime": _iso_millis(modified),
            "creationTime": _iso_millis(when),
        }
        if status != "InProgress":
            job["endTime"] = _iso_millis(modified)
        if status == "Completed":
            version += 1
            model_id = g.plant(g.alnum(12))
            job["importedModelArn"] = g.plant(_arn("bedrock", s.acct, f"imported-model/{model_id}"))
            model_name = f"{s.company}-{base.replace('.', '-')}-{purpose}-v{version}"
            job["importedModelName"] = g.plant(model_name)
        jobs.append(job)
    jobs.reverse()
    return jobs


def build_account(seed: int = 7) -> SandboxAccount:
    """Build the sandbox account for a seed; same seed, same bytes, in any process."""
    g = _Gen(seed)
    rng = g.rng
    company = rng.choice(_COMPANIES)
    acct = g.plant(g.account_id({"123456789012"}))
    collaborator = g.plant(g.account_id({"123456789012", acct}))
    domain = g.plant(f"{company}-retail.com")
    people = rng.sample([(f, last) for f in _FIRST for last in _LAST], 4)
    emails = [g.plant(f"{f}.{last}@{domain}") for f, last in people]
    emails.append(g.plant(f"ml-platform-oncall@{domain}"))
    ips = [
        g.plant(f"10.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"),
        g.plant(f"54.{rng.randint(64, 250)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"),
    ]
    alphabet = string.ascii_uppercase + string.digits
    akias = [g.plant("AKIA" + "".join(rng.choice(alphabet) for _ in range(16))) for _ in range(2)]
    buckets = {
        "fraud_in": f"{company}-fraud-batch-input-{acct}",
        "fraud_out": f"{company}-fraud-scores-{REGION}",
        "personalize": f"{company}-personalize-segments-{g.hex(6)}",
        "deletion": f"{company}-privacy-erasure-requests",
        "cleanrooms": f"{company}-cleanrooms-seed-audiences",
        "bedrock": f"{company}-bedrock-custom-weights-{acct}",
    }
    for bucket in buckets.values():
        g.plant(bucket)
    role_paths = {
        "fraud": f"service-role/AmazonFraudDetector-BatchPrediction-{company}",
        "fraud_path": f"fraud/scoring/{company}-FraudBatchScoring",
        "personalize": f"service-role/{company}-PersonalizeS3Access",
        "cleanrooms": f"cleanrooms-ml/{company}-AudienceGenerationRole",
    }
    roles = {}
    for key, path in role_paths.items():
        g.plant(path.rsplit("/", 1)[1])
        roles[key] = g.plant(f"arn:aws:iam::{acct}:role/{path}")
    auditor = g.plant(f"{company}-ReadOnlyAuditor")
    denied = g.plant(f"arn:aws:sts::{acct}:assumed-role/{auditor}/{emails[0]}")
    shared = _Shared(acct, collaborator, company, domain, emails, ips, akias, buckets, roles)

    fraud, detectors = _fraud_jobs(g, shared)
    segments, solutions = _segment_jobs(g, shared)
    deletions, groups = _deletion_jobs(g, shared)
    audiences, collabs, models = _audience_jobs(g, shared)
    imports = _import_jobs(g, shared)
    token_buckets = {
        FRAUD: buckets["fraud_in"],
        SEGMENTS: buckets["personalize"],
        DELETIONS: buckets["deletion"],
        AUDIENCES: buckets["cleanrooms"],
        IMPORTS: buckets["bedrock"],
    }
    return SandboxAccount(
        seed=seed,
        account_id=acct,
        collaborator_account_id=collaborator,
        region=REGION,
        company=company,
        buckets=tuple(buckets.values()),
        emails=tuple(emails),
        ip_addresses=tuple(ips),
        access_key_ids=tuple(akias),
        iam_role_arns=tuple(roles.values()),
        detector_names=tuple(detectors),
        solution_version_arns=tuple(solutions),
        dataset_group_arns=tuple(groups),
        collaboration_ids=tuple(collabs),
        configured_audience_model_arns=tuple(models),
        denied_principal_arn=denied,
        token_buckets=token_buckets,
        token_key=hashlib.sha256(f"pagetape-sandbox/{seed}/{acct}".encode()).digest(),
        _items={
            FRAUD: tuple(fraud),
            SEGMENTS: tuple(segments),
            DELETIONS: tuple(deletions),
            AUDIENCES: tuple(audiences),
            IMPORTS: tuple(imports),
        },
        _planted=frozenset(g.planted),
    )
