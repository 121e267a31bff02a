"""Keep paths (`--keep PATH`, manifest `keep`, marker `keep=`): the values a test asserts stay real,
recorded in the cassette, honoured when it is sanitized again; secret-looking keys never."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from helpers import SANDBOX_KEY
from pagetape.cassette import store as cassette_io
from pagetape.errors import UsageError
from pagetape.imports.resanitize import sanitize_file
from pagetape.sanitize.keep import KeepPaths, parse
from pagetape.verify.lint import verify_file
from sanitize_helpers import json11

pytestmark = pytest.mark.moto
TABLE = "globex-customers"
PERSON = "Marta Kowalczyk"


def test_a_path_is_member_names_list_marks_and_wildcards() -> None:
    assert parse("Items[].status.S") == ("Items", "[]", "status", "S")
    keep = KeepPaths.of(["Items[].status.S", "Tags[].*"])
    assert keep.matches(["Items", "[]", "status", "S"])
    assert not keep.matches(["Items", "[]", "owner", "S"])
    assert keep.matches(["Tags", "[]", "Value"]) and not keep.matches(["Tags", "[]", "[]"])
    assert not KeepPaths.of([])


@pytest.mark.parametrize("path", ["Items[].password.S", "Environment.Variables.DB_PASSWORD"])
def test_a_secret_looking_key_can_never_be_kept(path: str) -> None:
    with pytest.raises(UsageError, match="secret-looking key"):
        KeepPaths.of([path])


@pytest.mark.parametrize("path", ["Items[[", "a..b", "x y"])
def test_a_malformed_path_is_refused_in_one_sentence(path: str) -> None:
    with pytest.raises(UsageError, match="is no member name"):
        KeepPaths.of([path])


def _seed(url: str) -> None:
    ddb = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=url,
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    for n, status in enumerate(["active", "closed", "active"]):
        item = {"id": {"S": f"c-{n}"}, "owner": {"S": PERSON}, "status": {"S": status}}
        ddb.put_item(TableName=TABLE, Item=item)


def _record(
    cli: Any, url: str, folder: Path, service: str, op: str, param: str, size: str, keep: str
) -> Path:
    """`pagetape record SERVICE OP -p PARAM --page-size SIZE --keep KEEP` against moto."""
    result = cli(
        "record", service, op, "-p", param, "--page-size", size, "--keep", keep,
        "--region", "us-east-1", "--endpoint-url", url, "-o", "out.json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    return folder / "out.json"


def _items(path: Path) -> list[dict[str, Any]]:
    tape = cassette_io.load(path)
    return [i for x in tape.interactions for i in x.response.body["Items"]]


def test_record_keeps_the_named_path_and_fakes_the_rest(
    cli: Any, moto_url: str, tmp_path: Path
) -> None:
    _seed(moto_url)
    out = _record(cli, moto_url, tmp_path, "dynamodb", "scan", f"TableName={TABLE}", "2",
                  "Items[].status.S")  # fmt: skip
    text = out.read_text()
    items = _items(out)
    assert sorted(i["status"]["S"] for i in items) == ["active", "active", "closed"]
    assert PERSON not in text and "Kowalczyk" not in text
    assert cassette_io.load(out).metadata.kept_paths == ["Items[].status.S"]
    assert verify_file(out) == []
    # Sanitizing the cassette again keeps what it kept: the path is in the file.
    sanitize_file(out)
    assert sorted(i["status"]["S"] for i in _items(out)) == ["active", "active", "closed"]


def test_record_refuses_a_secret_path_with_exit_2(cli: Any) -> None:
    result = cli("record", "dynamodb", "scan", "-p", "TableName=x", "--keep", "Items[].api_key.S")
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and "secrets can never be kept" in result.stderr


def test_sanitize_keeps_a_path_of_a_json_body(tmp_path: Path) -> None:
    """`pagetape sanitize --keep` on a cassette recorded without it: the library call."""
    from pagetape.sanitize.writer import build, write

    job = {"jobName": "acme-segments-7", "roleArn": "arn:aws:iam::210987654321:role/x"}
    body = {"batchSegmentJobs": [job]}
    exchange = json11("personalize", "ListBatchSegmentJobs", {}, body)
    tape, sanitizer = build([exchange], "us-east-1", keep_paths=["batchSegmentJobs[].jobName"])
    target = tmp_path / "c.json"
    write(target, tape, sanitizer)
    doc = json.loads(target.read_text())
    kept = doc["interactions"][0]["response"]["body"]["batchSegmentJobs"][0]
    assert kept["jobName"] == "acme-segments-7"
    assert "210987654321" not in target.read_text()
    assert doc["metadata"]["kept_paths"] == ["batchSegmentJobs[].jobName"]


def test_record_keeps_a_path_of_an_xml_body(cli: Any, moto_url: str, tmp_path: Path) -> None:
    """Query-protocol XML (IAM) is walked by member path too: the kept user names stay in the
    list and inside their ARNs, the path beside them is faked; the cassette verifies clean."""
    iam = boto3.client(
        "iam", region_name="us-east-1", endpoint_url=moto_url,
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip
    names = ["ana.moreira", "svc-ledger-export"]
    for name in names:
        if not any(u["UserName"] == name for u in iam.list_users()["Users"]):
            iam.create_user(UserName=name, Path="/keep-test/")
    out = _record(cli, moto_url, tmp_path, "iam", "list-users", "PathPrefix=/keep-test/", "1",
                  "Users[].UserName")  # fmt: skip
    text = out.read_text()
    for name in names:
        assert f"<UserName>{name}</UserName>" in text and f":user/keep-test/{name}" not in text
        assert f"/{name}</Arn>" in text  # the ARN's name part is the kept name too
    assert verify_file(out) == []
