"""Helpers for the replay tests: what the sandbox holds, a network that refuses, hand-made tapes."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from helpers import hand_made
from pagetape.cassette import store as cassette_io
from pagetape.sandbox import SandboxAccount, build_account

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"

# cassette name -> (service, operation, result key, page size, pages, items)
SHIPPED = {
    "bedrock/list_model_import_jobs": (
        "bedrock", "ListModelImportJobs", "modelImportJobSummaries", 10, 3, 26,
    ),
    "cleanroomsml/list_audience_generation_jobs": (
        "cleanroomsml", "ListAudienceGenerationJobs", "audienceGenerationJobs", 10, 3, 27,
    ),
    "frauddetector/get_batch_prediction_jobs": (
        "frauddetector", "GetBatchPredictionJobs", "batchPredictions", 10, 3, 23,
    ),
    "personalize/list_batch_segment_jobs": (
        "personalize", "ListBatchSegmentJobs", "batchSegmentJobs", 10, 4, 31,
    ),
    "personalize/list_data_deletion_jobs": (
        "personalize", "ListDataDeletionJobs", "dataDeletionJobs", 5, 4, 19,
    ),
}  # fmt: skip


@cache
def account() -> SandboxAccount:
    """The account the shipped cassettes were recorded from (seed 7, the sandbox default)."""
    return build_account()


@cache
def timestamp_members(service: str, operation: str, result_key: str) -> tuple[str, ...]:
    """Members of one listed item that the service model types as timestamps."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    item = model.operation_model(operation).output_shape.members[result_key].member
    return tuple(n for n, s in item.members.items() if s.type_name == "timestamp")


def wire_time(value: float | str) -> datetime:
    """A wire timestamp (epoch seconds or ISO 8601) as an aware datetime, without botocore."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_same_as_sandbox(items: list[dict[str, Any]], cassette: str) -> None:
    """Replayed items equal what the sandbox holds: count, order, statuses, structure, times."""
    service, operation, result_key, *_ = SHIPPED[cassette]
    expected = account().expected_items(service, operation, {})
    assert len(items) == len(expected)
    assert [i["status"] for i in items] == [e["status"] for e in expected]
    assert [sorted(i) for i in items] == [sorted(e) for e in expected]
    stamps = timestamp_members(service, operation, result_key)
    for got, want in zip(items, expected, strict=True):
        for name in stamps:
            if name in want:
                assert isinstance(got[name], datetime), name
                assert got[name].tzinfo is not None, name
                assert got[name] == wire_time(want[name]), name
        for name, value in want.items():
            # Strings typed as times by the model (frauddetector) come back verbatim.
            if name not in stamps and name.endswith("Time"):
                assert got[name] == value, name


@contextlib.contextmanager
def blocked_network() -> Iterator[list[Any]]:
    """Every outgoing connection or DNS lookup in this process fails and is noted."""
    attempts: list[Any] = []

    def refuse(*args: Any, **_: Any) -> Any:
        attempts.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
        raise OSError(101, "network blocked by the test")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        mp.setattr(socket, "create_connection", refuse)
        mp.setattr(socket, "getaddrinfo", refuse)
        yield attempts


# Stdlib-only code that makes every outgoing connection or DNS lookup of the process fail and
# notes it in ATTEMPTS: for subprocesses (`python -c`) and inner pytest runs.
BLOCKING_CODE = """
import socket

ATTEMPTS = []

def _refuse(*args, **kwargs):
    ATTEMPTS.append(args[1:] if args and isinstance(args[0], socket.socket) else args)
    raise OSError(101, "network blocked by the test")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""

# A conftest for inner pytest runs: the network is blocked from before any test module is
# imported, and a test during which something tried to connect fails.
BLOCKING_CONFTEST = (
    BLOCKING_CODE
    + """
import pytest

@pytest.fixture(autouse=True)
def _no_connection_attempted():
    yield
    assert ATTEMPTS == [], f"something tried to connect: {ATTEMPTS}"
"""
)


def copy_shipped(dest: Path) -> Path:
    """The shipped cassettes copied under DEST/cassettes (the default cassette dir)."""
    target = dest / "cassettes"
    shutil.copytree(CASSETTES, target)
    return target


def write_cassette(
    path: Path,
    service: str,
    operation: str,
    interactions: list[cassette_io.Interaction],
    region: str = "us-east-1",
    protocol: str = "json",
) -> Path:
    """A hand-made cassette, for protocols and shapes the sandbox does not serve."""
    tape = hand_made(interactions, service, operation, region, protocol)
    cassette_io.atomic_write(path, cassette_io.encode(tape))
    return path


# -- the user code of the seeded operations, the same live and replayed ------------------------


def model_import_jobs(client: Any) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_model_import_jobs")
    for page in paginator.paginate(PaginationConfig={"PageSize": 10}):
        jobs.extend(page["modelImportJobSummaries"])
    return jobs


def audience_generation_jobs(client: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator("list_audience_generation_jobs")
    pages = paginator.paginate(PaginationConfig={"PageSize": 10})
    return list(pages.search("audienceGenerationJobs[]"))


def batch_segment_jobs(client: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator("list_batch_segment_jobs")
    result = paginator.paginate(PaginationConfig={"PageSize": 10}).build_full_result()
    return list(result["batchSegmentJobs"])


def batch_prediction_jobs(client: Any) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"maxResults": 10}
    while True:
        response = client.get_batch_prediction_jobs(**kwargs)
        jobs.extend(response["batchPredictions"])
        if not response.get("nextToken"):
            return jobs
        kwargs["nextToken"] = response["nextToken"]


def data_deletion_jobs(client: Any) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"maxResults": 5}
        if token:
            kwargs["nextToken"] = token
        response = client.list_data_deletion_jobs(**kwargs)
        jobs += response["dataDeletionJobs"]
        token = response.get("nextToken")
        if token is None:
            return jobs


USER_CODE = {
    "bedrock/list_model_import_jobs": model_import_jobs,
    "cleanroomsml/list_audience_generation_jobs": audience_generation_jobs,
    "personalize/list_batch_segment_jobs": batch_segment_jobs,
    "frauddetector/get_batch_prediction_jobs": batch_prediction_jobs,
    "personalize/list_data_deletion_jobs": data_deletion_jobs,
}


def bare_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No secret, no AWS configuration, no credentials: a colleague's fresh checkout."""
    import boto3

    for key in list(os.environ):
        if key.startswith(("AWS_", "PAGETAPE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
