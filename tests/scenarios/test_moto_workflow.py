"""The pytest workflow end to end on moto (issue 18): an inner project records real calls
through the plugin from moto in server mode (real boto3 over real HTTP, `--pagetape-record=once`),
then replays them offline with the network blocked and no AWS configuration.

Each check here failed before its fix: a DynamoDB `Scan` under `repage=True` (map tokens), an
EC2 `DescribeInstances` whose `Filters` the recording lost, re-record hints that named the wrong
call and dropped its parameters (the hinted command is run against moto here), `.calls` under
`repage`, and S3 keys left URL-encoded by `pagetape replay`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from helpers import SANDBOX_KEY
from pagetape.cassette import store as cassette_io
from replay_helpers import blocked_network

pytest_plugins = ["pytester"]

REGION = "us-east-1"
INNER_INI = (
    "[pytest]\naddopts = -p no:randomly -p no:hypothesispytest -p no:cacheprovider\n"
    "pagetape_cassette_dir = cassettes\n"
)
RECORDING = """
import boto3
import pytest

N = {names!r}


@pytest.mark.pagetape("dynamodb/scan")
def test_scan():
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(
        TableName=N["table"], PaginationConfig={{"PageSize": 2}}
    )
    assert sum(len(p["Items"]) for p in pages) == 5


@pytest.mark.pagetape("ec2/instances")
def test_instances():
    pages = boto3.client("ec2").get_paginator("describe_instances").paginate(
        Filters=[{{"Name": "tag:team", "Values": [N["team"]]}}], PaginationConfig={{"PageSize": 5}}
    )
    assert sum(len(r["Instances"]) for p in pages for r in p["Reservations"]) == 3


@pytest.mark.pagetape("sqs/queues")
def test_queues():
    pages = boto3.client("sqs").get_paginator("list_queues").paginate(
        QueueNamePrefix=N["queues"], PaginationConfig={{"PageSize": 2}}
    )
    assert sum(len(p.get("QueueUrls", [])) for p in pages) == 4


@pytest.mark.pagetape("s3/objects")
def test_objects():
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket=N["bucket"], PaginationConfig={{"PageSize": 2}}
    )
    keys = [o["Key"] for p in pages for o in p["Contents"]]
    assert len(keys) == 5 and all("@" in k for k in keys)
"""
REPLAYING = """
import boto3
import pytest

N = {names!r}


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.pagetape("dynamodb/scan", repage=True)
def test_scan_repaged(pagetape, size):
    pages = list(boto3.client("dynamodb").get_paginator("scan").paginate(
        TableName=N["table"], PaginationConfig={{"PageSize": size}}
    ))
    counts = [len(p["Items"]) for p in pages]
    assert sum(counts) == 5 and max(counts) == size
    assert [p["Count"] for p in pages] == counts
    pagetape.assert_exhausted()
    # One entry per request, numbered after the recorded page (2 + 2 + 1 items) it draws on.
    assert len(pagetape.calls) == len(pages)
    assert [c.interaction for c in pagetape.calls] == {{1: [0, 0, 1, 1, 2], 3: [0, 1]}}[size]


@pytest.mark.pagetape("dynamodb/scan", repage=True)
def test_scan_by_hand(pagetape):
    client = boto3.client("dynamodb")
    kwargs = {{"TableName": N["table"], "Limit": 2}}
    items = []
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        assert isinstance(page["LastEvaluatedKey"], dict)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert len(items) == 5


@pytest.mark.pagetape("ec2/instances")
def test_other_filter_values_miss():
    boto3.client("ec2").describe_instances(
        Filters=[{{"Name": "tag:team", "Values": [N["team"], "x y"]}}], MaxResults=5
    )


@pytest.mark.pagetape("ec2/instances", "sqs/queues")
def test_a_queue_miss_in_the_second_cassette():
    sqs = boto3.client("sqs")
    sqs.list_queues(QueueNamePrefix=N["queues"], MaxResults=2)
    sqs.list_queues(QueueNamePrefix=N["queues"] + "-other", MaxResults=2)
"""


def _seed(url: str, names: dict[str, str]) -> None:
    kwargs: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": REGION,
        "aws_access_key_id": SANDBOX_KEY[0],
        "aws_secret_access_key": SANDBOX_KEY[1],
    }
    ddb = boto3.client("dynamodb", **kwargs)
    ddb.create_table(
        TableName=names["table"],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(5):
        ddb.put_item(TableName=names["table"], Item={"pk": {"S": f"order-{i}"}})
    ec2 = boto3.client("ec2", **kwargs)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": names["team"]}]}]
    ec2.run_instances(ImageId=image, MinCount=3, MaxCount=3, TagSpecifications=tags)
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)  # not the team's
    sqs = boto3.client("sqs", **kwargs)
    for i in range(4):
        sqs.create_queue(QueueName=f"{names['queues']}-{i}")
    s3 = boto3.client("s3", **kwargs)
    s3.create_bucket(Bucket=names["bucket"])
    for i in range(5):
        s3.put_object(Bucket=names["bucket"], Key=f"users/ana@example.com/{i}.csv", Body=b"x")


def _live(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SANDBOX_KEY[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SANDBOX_KEY[1])
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def _offline(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """A colleague's checkout: no AWS configuration, no credentials, no endpoint."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def names() -> dict[str, str]:
    tail = uuid.uuid4().hex[:6]
    return {
        "table": f"orders-{tail}",
        "team": f"payments-{tail}",
        "queues": f"jobs-{tail}",
        "bucket": f"acme-ledger-{tail}",
    }


@pytest.fixture
def recorded(
    pytester: pytest.Pytester, moto_url: str, monkeypatch: pytest.MonkeyPatch, names: Any
) -> pytest.Pytester:
    _seed(moto_url, names)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_recorded=RECORDING.format(names=names))
    with monkeypatch.context() as live:
        _live(live, moto_url)
        result = pytester.runpytest("--pagetape-record=once")
    result.assert_outcomes(passed=4)
    return pytester


def _pagetape(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "pagetape", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_recorded_through_pytest_replays_offline(
    recorded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cassettes = recorded.path / "cassettes"
    instances = cassette_io.load(cassettes / "ec2/instances.json")
    # The filters are the call's parameters (sanitized), as `pagetape record` keeps them.
    [only] = instances.metadata.params["Filters"]
    assert set(only) == {"Name", "Values"} and len(only["Values"]) == 1
    assert only["Name"] == "tag:team"  # a filter key is schema, as in a CLI recording
    objects = cassette_io.load(cassettes / "s3/objects.json")
    assert "EncodingType" not in objects.metadata.params  # botocore's, not the test's
    _offline(monkeypatch, tmp_path / "home")
    shown = _pagetape(recorded.path, "show", "cassettes/ec2/instances.json")
    assert shown.returncode == 0 and '"Filters"' in shown.stdout, shown.stdout + shown.stderr
    for name in ("ec2/instances", "s3/objects"):
        replayed = _pagetape(recorded.path, "replay", f"cassettes/{name}.json")
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    reservations = _pagetape(recorded.path, "replay", "--json", "cassettes/ec2/instances.json")
    lines = [json.loads(line) for line in reservations.stdout.splitlines()]
    assert sum(len(r["Instances"]) for r in lines) == 3
    keys = [line.split()[0] for line in replayed.stdout.splitlines() if line.startswith("Key=")]
    assert len(keys) == 5 and not any("%" in key for key in keys), keys
    with blocked_network() as attempts:
        result = recorded.runpytest("--pagetape-block-network")
    result.assert_outcomes(passed=4)  # the recording run's own tests, unchanged
    assert attempts == []


def test_repage_misses_and_their_hints(
    recorded: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    moto_url: str,
    names: dict[str, str],
) -> None:
    recorded.makepyfile(test_replaying=REPLAYING.format(names=names))
    _offline(monkeypatch, tmp_path / "home")
    with blocked_network():
        result = recorded.runpytest("test_replaying.py", "-rf")
    result.assert_outcomes(passed=3, failed=2)
    out = result.stdout.str()
    assert "ParamValidation" not in out and "Traceback" not in out
    hints = [
        line.partition("to re-record: ")[2] for line in out.splitlines() if "re-record" in line
    ]
    ec2_hint = next(h for h in hints if " ec2 " in h)
    sqs_hint = next(h for h in hints if " sqs " in h)
    filters = [{"Name": "tag:team", "Values": [names["team"], "x y"]}]
    assert f"-p {shlex.quote('Filters=' + json.dumps(filters))}" in ec2_hint
    assert "--page-size 5" in ec2_hint and "ec2/instances.json" in ec2_hint
    assert sqs_hint.startswith("pagetape record sqs list-queues --page-size 2 ")
    assert f"-p QueueNamePrefix={names['queues']}-other" in sqs_hint
    assert "sqs/queues.json --force" in sqs_hint
    # The hinted commands are ones `pagetape record` accepts: run them against moto.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": SANDBOX_KEY[0]}
    env["AWS_SECRET_ACCESS_KEY"] = SANDBOX_KEY[1]
    for hint in (ec2_hint, sqs_hint):
        args = shlex.split(hint)[1:]
        run = subprocess.run(
            [sys.executable, "-m", "pagetape", *args, "--endpoint-url", moto_url],
            cwd=recorded.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    again = cassette_io.load(recorded.path / "cassettes/ec2/instances.json")
    assert len(again.metadata.params["Filters"][0]["Values"]) == 2
