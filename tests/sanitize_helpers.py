"""Helpers for the sanitization and verify tests: a leak corpus recorded from the sandbox,
hand-built exchanges for positions the five seeded operations lack, and leak searches."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpers import RESULT_KEYS, SANDBOX_KEY, encoded_forms, hand_made, record_from
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.record.recording import snake_case
from pagetape.sandbox import Faults, Sandbox
from pagetape.sanitize.secret import fakes_seal
from pagetape.sanitize.walker import Sanitizer

TEST_SECRET = "pagetape-test-secret"  # what conftest's hermetic fixture sets
DENIED_KEY = ("AKIADENIEDSANITIZE01", "denied-secret-key")
FIVE = [
    ("frauddetector", "GetBatchPredictionJobs"),
    ("personalize", "ListBatchSegmentJobs"),
    ("cleanroomsml", "ListAudienceGenerationJobs"),
    ("personalize", "ListDataDeletionJobs"),
    ("bedrock", "ListModelImportJobs"),
]
JSON11 = "application/x-amz-json-1.1"


@contextmanager
def hermetic_env(home: Path, secret: str = TEST_SECRET) -> Iterator[None]:
    """conftest's hermetic environment, for module-scoped fixtures that run before it."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("AWS_", "PAGETAPE_")):
                mp.delenv(key)
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        mp.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("PAGETAPE_SECRET", secret)
        yield


record_live = record_from  # the corpus passes its own signing credentials


@dataclass
class Case:
    """One recording of the leak corpus and what the sandbox says it must hold."""

    name: str
    service: str
    operation: str
    path: Path
    params: dict[str, Any]
    page_size: int | None
    expected: list[dict[str, Any]]  # the real wire items, in order
    error: str | None = None  # the error code the chain ends in
    kwargs: dict[str, Any] = field(default_factory=dict)


def corpus_cases(sandbox: Sandbox, folder: Path) -> list[Case]:
    """Full chains, filtered chains (ARNs and UUIDs in bodies and query strings), error chains."""
    acct = sandbox.account
    seg = acct.expected_items("personalize", "ListBatchSegmentJobs", {})
    dele = acct.expected_items("personalize", "ListDataDeletionJobs", {})
    aud = acct.expected_items("cleanroomsml", "ListAudienceGenerationJobs", {})
    fraud = acct.expected_items("frauddetector", "GetBatchPredictionJobs", {})
    cases = [
        Case(snake_case(op), svc, op, folder / f"{snake_case(op)}.json", {}, 7, [])
        for svc, op in FIVE
    ]
    filtered: list[tuple[str, str, str, dict[str, Any], int]] = [
        ("f-fraud", "frauddetector", "GetBatchPredictionJobs", {"jobId": fraud[5]["jobId"]}, 1),
        (
            "f-segments",
            "personalize",
            "ListBatchSegmentJobs",
            {"solutionVersionArn": seg[0]["solutionVersionArn"]},
            4,
        ),
        (
            "f-deletions",
            "personalize",
            "ListDataDeletionJobs",
            {"datasetGroupArn": dele[0]["datasetGroupArn"]},
            4,
        ),
        (
            "f-audiences",
            "cleanroomsml",
            "ListAudienceGenerationJobs",
            {
                "collaborationId": aud[0]["collaborationId"],
                "configuredAudienceModelArn": aud[0]["configuredAudienceModelArn"],
            },
            2,
        ),
        (
            "f-imports",
            "bedrock",
            "ListModelImportJobs",
            {"nameContains": acct.company, "statusEquals": "Completed", "sortOrder": "Ascending"},
            3,
        ),
    ]
    for name, svc, op, params, size in filtered:
        cases.append(
            Case(name, svc, op, folder / f"{name}.json", params, size, acct.expected_items(svc, op, params))
        )  # fmt: skip
    cases += [
        Case(
            "e-no-such-job", "frauddetector", "GetBatchPredictionJobs",
            folder / "e-no-such-job.json", {"jobId": "no-such-job"}, None, [],
            "ResourceNotFoundException", {"record_errors": True},
        ),
        Case(
            "e-denied-rest", "cleanroomsml", "ListAudienceGenerationJobs",
            folder / "e-denied-rest.json",
            {"collaborationId": aud[0]["collaborationId"]}, 5, [],
            "AccessDeniedException", {"record_errors": True, "credentials": DENIED_KEY},
        ),
        Case(
            "e-denied-json", "personalize", "ListDataDeletionJobs",
            folder / "e-denied-json.json",
            {"datasetGroupArn": dele[0]["datasetGroupArn"]}, 5, [],
            "AccessDeniedException", {"record_errors": True, "credentials": DENIED_KEY},
        ),
    ]  # fmt: skip
    for case in cases:
        if not case.expected and case.error is None:
            case.expected = acct.expected_items(case.service, case.operation, case.params)
    return cases


def throttle_cases(folder: Path) -> list[Case]:
    """Recorded from their own throttling sandbox (every 3rd request is refused with 429)."""
    return [
        # One retry: the throttled attempt is dropped, the chain is whole.
        Case(
            "t-retried", "personalize", "ListDataDeletionJobs", folder / "t-retried.json",
            {}, 5, [],
        ),
        # No retries allowed: the chain ends in the throttle, which is recorded.
        Case(
            "t-ends", "bedrock", "ListModelImportJobs", folder / "t-ends.json", {}, 5, [],
            "ThrottlingException", {"record_errors": True, "max_attempts": 1},
        ),
    ]  # fmt: skip


def record_corpus(folder: Path) -> tuple[list[Case], set[str]]:
    """Record every corpus case; returns the cases and every value the sandbox planted."""
    with Sandbox(faults=Faults()) as sandbox:
        cases = corpus_cases(sandbox, folder)
        for case in cases:
            kwargs = dict(case.kwargs)
            credentials = kwargs.pop("credentials", SANDBOX_KEY)
            record_live(
                sandbox, case.service, case.operation, case.path, case.page_size,
                case.params, credentials, **kwargs,
            )  # fmt: skip
        planted = sandbox.account.planted_values() | {sandbox.account.denied_principal_arn}
    throttled = throttle_cases(folder)
    for case in throttled:
        with Sandbox(faults=Faults(throttle_every=3)) as stormy:
            record_live(
                stormy, case.service, case.operation, case.path, case.page_size, case.params,
                **case.kwargs,
            )  # fmt: skip
            assert stormy.request_count >= 3  # the throttle really fired
            everything = stormy.account.expected_items(case.service, case.operation, {})
        # Without retries, requests 1 and 2 are answered and the 3rd is throttled.
        case.expected = everything[:10] if case.error else everything
    return cases + throttled, planted | {DENIED_KEY[0], SANDBOX_KEY[0]}


# -- reading cassettes ----------------------------------------------------------------------


def items_of(tape: cassette_io.Cassette) -> list[dict[str, Any]]:
    key = RESULT_KEYS[tape.metadata.operation]
    return [
        item
        for i in tape.interactions
        if isinstance(i.response.body, dict)
        for item in i.response.body.get(key, [])
    ]


_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}")


def decoded_runs(text: str) -> Iterator[str]:
    """Every long base64/base64url-looking run of TEXT, decoded (tokens embed real values)."""
    for m in _B64_RUN.finditer(text):
        run = m.group(0)
        for start in range(4):  # the run may begin mid-group
            chunk = run[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            for alt in (b"+/", b"-_"):
                try:
                    raw = base64.b64decode(chunk, altchars=alt, validate=True)
                except (binascii.Error, ValueError):
                    continue
                yield raw.decode("latin-1")


def leaks(data: str, planted: set[str]) -> list[tuple[str, str]]:
    """Planted values found in DATA, plain, URL-encoded, base64, base64url or inside a decoded run."""
    found = [(v, form) for v in planted for form in encoded_forms(v) if form in data]
    decoded = "\n".join(decoded_runs(data))
    found += [(v, "decoded") for v in planted if len(v) >= 6 and v in decoded]
    return found


# -- hand-built exchanges -------------------------------------------------------------------


def json11(
    service: str,
    operation: str,
    request: dict[str, Any],
    response: dict[str, Any],
    status: int = 200,
    response_headers: dict[str, str] | None = None,
) -> Interaction:
    """A json-1.1 exchange (frauddetector, personalize, ssm) as botocore and AWS put it on the
    wire; the target is the model's own (targetPrefix.Operation)."""
    from pagetape.aws.specs import service_model

    model = service_model(service)
    assert model is not None, service
    target = f"{model.metadata['targetPrefix']}.{operation}"
    return Interaction(
        service=service,
        operation=operation,
        request=Request(
            method="POST",
            path="/",
            query=[],
            headers={"Content-Type": JSON11, "X-Amz-Target": target},
            body=json.dumps(request).encode(),
        ),
        response=Response(
            status=status,
            headers={"Content-Type": JSON11, **(response_headers or {})},
            body=json.dumps(response).encode(),
        ),
    )


def as_cassette(
    interactions: list[cassette_io.Interaction],
    sanitizer: Sanitizer,
    service: str,
    operation: str,
    params: dict[str, Any] | None = None,
) -> cassette_io.Cassette:
    """A cassette around sanitized interactions, with the fakes `verify` needs, sealed with
    the test secret as the writer seals them."""
    tape = hand_made(
        interactions, service, operation, protocol="", params=params, fakes=sanitizer.fakes()
    )
    tape.metadata.fakes_seal = fakes_seal(TEST_SECRET.encode(), tape.metadata.fakes)
    return tape


def without_recorded_at(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if b'"recorded_at"' not in line]
