"""Injected faults on XML protocols: S3 ListObjectsV2 (rest-xml), EC2 DescribeInstances (ec2)
and IAM ListUsers (query), recorded from moto in server mode over real HTTP, replayed offline
through real boto3 clients with their own retry configurations. The fault bodies are each
protocol's own XML, so botocore's XML parsers and its retry handler see what AWS sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from moto_helpers import Account, fresh_account, record_live
from pagetape.replay.engine import Tape
from pagetape.replay.session import open_tape

pytestmark = pytest.mark.moto

BUCKET = "acme-payments-exports"


def _s3(acct: Account, out: Path) -> Path:
    s3 = acct.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for i in range(5):
        s3.put_object(Bucket=BUCKET, Key=f"exports/2026-{i:02d}.csv", Body=b"x")
    return record_live(acct, "s3", "ListObjectsV2", out, 2, {"Bucket": BUCKET}).path


def _ec2(acct: Account, out: Path) -> Path:
    ec2 = acct.client("ec2")
    for _ in range(7):  # MaxResults is at least 5 for DescribeInstances: two pages
        ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1)
    return record_live(acct, "ec2", "DescribeInstances", out, 5, {}).path


def _iam(acct: Account, out: Path) -> Path:
    iam = acct.client("iam")
    for i in range(3):
        iam.create_user(UserName=f"deploy-bot-{i}")
    return record_live(acct, "iam", "ListUsers", out, 10, {}).path


@pytest.fixture(scope="module")
def recorded(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three cassettes, recorded once for the module, each from a moto account of its own."""
    folder = tmp_path_factory.mktemp("faults")
    return {
        name: make(fresh_account(moto_url), folder / f"{name}.json")
        for name, make in (("s3", _s3), ("ec2", _ec2), ("iam", _iam))
    }


def _objects(tape: Tape, retries: dict[str, Any]) -> list[Any]:
    client = tape.client(config=Config(retries=retries))
    pages = list(client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET))
    assert {p["Name"] for p in pages} == {BUCKET}  # the real bucket, also on a faulted page
    return [o for p in pages for o in p.get("Contents", [])]


def test_s3_slow_down_is_retried_in_standard_mode(recorded: dict[str, Path]) -> None:
    path = recorded["s3"]
    with open_tape([path.name], path.parent, faults=["throttle:2x2"]) as tape:
        assert len(_objects(tape, {"mode": "standard"})) == 5
    assert [(c.interaction, c.attempt, c.fault) for c in tape.calls] == [
        (0, 1, None), (1, 1, "throttle"), (1, 2, "throttle"), (1, 3, None), (2, 1, None),
    ]  # fmt: skip


def test_s3_slow_down_without_retries_raises_its_503(recorded: dict[str, Path]) -> None:
    path = recorded["s3"]
    with (
        open_tape([path.name], path.parent, faults=["throttle:1"]) as tape,
        pytest.raises(ClientError) as raised,
    ):
        _objects(tape, {"mode": "standard", "total_max_attempts": 1})
    response = raised.value.response
    assert response["Error"]["Code"] == "SlowDown"
    assert response["Error"]["Message"] == "Please reduce your request rate."
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_s3_internal_error_is_retried_in_legacy_mode(recorded: dict[str, Path]) -> None:
    path = recorded["s3"]
    with open_tape([path.name], path.parent, faults=["server-error:3x4"]) as tape:
        assert len(_objects(tape, {"mode": "legacy"})) == 5  # legacy: 5 attempts in all
    assert [c.fault for c in tape.calls if c.interaction == 2] == ["server-error"] * 4 + [None]


def test_ec2_request_limit_exceeded(recorded: dict[str, Path]) -> None:
    path = recorded["ec2"]
    with open_tape([path.name], path.parent, faults=["throttle:2x2"]) as tape:
        client = tape.client(config=Config(retries={"mode": "standard"}))
        pages = client.get_paginator("describe_instances").paginate(
            PaginationConfig={"PageSize": 5}
        )
        assert sum(len(r["Instances"]) for p in pages for r in p["Reservations"]) == 7
    with open_tape([path.name], path.parent, faults=["throttle:1x3"]) as tape:
        client = tape.client(config=Config(retries={"mode": "legacy", "max_attempts": 2}))
        with pytest.raises(ClientError) as raised:
            client.describe_instances(MaxResults=5)
    response = raised.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "RequestLimitExceeded",
        503,
    )
    assert [c.attempt for c in tape.calls] == [1, 2, 3]


def test_iam_throttling_and_a_connection_error(recorded: dict[str, Path]) -> None:
    path = recorded["iam"]
    with open_tape([path.name], path.parent, faults=["throttle:1", "connection-error:1"]) as tape:
        client = tape.client(config=Config(retries={"mode": "standard"}))
        users = client.list_users()["Users"]
    assert len(users) == 3
    assert [c.fault for c in tape.calls] == ["throttle", "connection-error", None]
    with open_tape([path.name], path.parent, faults=["throttle:1"]) as tape:
        client = tape.client(config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
        with pytest.raises(ClientError) as raised:
            client.list_users()
    assert raised.value.response["Error"]["Code"] == "Throttling"
    assert raised.value.response["Error"]["Type"] == "Sender"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
