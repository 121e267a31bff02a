"""Recording operations pagetape has no plugin for, from moto in server mode (an independent AWS
emulator): the spec comes from botocore's paginator, tokens of any name stay linked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from helpers import SANDBOX_KEY
from pagetape.cassette import store as cassette_io
from pagetape.record.recording import RecordRequest, plan, record


def _client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id=SANDBOX_KEY[0],
        aws_secret_access_key=SANDBOX_KEY[1],
    )


def _record(
    service: str, operation: str, url: str, out: Path, page_size: int
) -> cassette_io.Cassette:
    request = RecordRequest(
        service=service, operation=operation, page_size=page_size, region="eu-west-1",
        endpoint_url=url, output=str(out), credentials=SANDBOX_KEY,
    )  # fmt: skip
    return cassette_io.load(record(plan(request)).path)


def test_log_groups_from_moto(moto_url: str, tmp_path: Path) -> None:
    logs = _client("logs", moto_url)
    names = [f"/acme/payments-{i:02d}" for i in range(7)]
    for name in names:
        logs.create_log_group(logGroupName=name)
    tape = _record("logs", "describe-log-groups", moto_url, tmp_path / "lg.json", 3)
    assert (tape.metadata.pages, tape.metadata.items) == (3, 7)
    tokens = [i.response.body.get("nextToken") for i in tape.interactions]
    asked = [i.request.body.get("nextToken") for i in tape.interactions]
    assert asked == [None, *tokens[:-1]] and tokens[-1] is None
    data = (tmp_path / "lg.json").read_text()
    assert not any(name in data for name in names)
    assert "acme" not in data and "payments" not in data


def test_dynamodb_table_name_tokens_from_moto(moto_url: str, tmp_path: Path) -> None:
    ddb = _client("dynamodb", moto_url)
    tables = [f"orders-prod-{i}" for i in range(5)]
    for name in tables:
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    tape = _record("dynamodb", "ListTables", moto_url, tmp_path / "t.json", 2)
    assert (tape.metadata.pages, tape.metadata.items) == (3, 5)
    for earlier, later in zip(tape.interactions, tape.interactions[1:], strict=False):
        token = earlier.response.body["LastEvaluatedTableName"]
        assert token.startswith("pagetape-token-")
        assert later.request.body["ExclusiveStartTableName"] == token
    data = (tmp_path / "t.json").read_text()
    assert not any(name in data for name in tables)


def test_a_string_page_size_replays_as_a_string(moto_url: str, tmp_path: Path, cli: Any) -> None:
    """Route 53's MaxItems is a string in the model: a chain recorded with a page size replays
    through `pagetape replay`, which passes the page size as the model types it."""
    r53 = _client("route53", moto_url)
    for n in range(5):
        r53.create_health_check(
            CallerReference=f"hc-{n}",
            HealthCheckConfig={"IPAddress": f"192.0.2.{n + 1}", "Port": 80, "Type": "HTTP"},
        )
    out = tmp_path / "checks.json"
    tape = _record("route53", "list-health-checks", moto_url, out, 2)
    assert tape.metadata.page_size == 2  # (moto answers in one page; the size is still asked)
    result = cli("replay", str(out))
    assert result.code == 0, result.stdout + result.stderr
    assert "Invalid type" not in result.stderr
