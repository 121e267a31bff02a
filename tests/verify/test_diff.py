"""`pagetape diff`, `show --textconv` as a git diff driver, and `record --check` (issue 19),
on chains recorded from moto in server mode (real boto3 over real HTTP), changed in the moto
account, then recorded or checked again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from moto_helpers import Account, fresh_account

REGION = "eu-west-1"
PAGETAPE = [sys.executable, "-m", "pagetape"]


def run(*args: str, cwd: Path | None = None, account: Account | None = None) -> Any:
    env = dict(os.environ)
    if account is not None:
        env.update(AWS_ACCESS_KEY_ID=account.key[0], AWS_SECRET_ACCESS_KEY=account.key[1])
    return subprocess.run(
        [*PAGETAPE, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


@pytest.fixture
def account(moto_url: str) -> Account:
    return fresh_account(moto_url)


def _table(account: Account, name: str, n: int) -> Any:
    ddb = account.client("dynamodb")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(n):
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": f"order-{i:03d}"}, "owner": {"S": f"ana.lopez{i}@corp-real.io"}},
        )
    return ddb


def _users(account: Account, n: int) -> Any:
    iam = account.client("iam")
    for i in range(n):
        iam.create_user(UserName=f"deploy-bot-{i:02d}", Path="/ops/")
    return iam


def _record(account: Account, out: Path, *args: str) -> None:
    done = run(
        "record", *args, "--endpoint-url", account.url, "--region", REGION, "-o", str(out),
        "--force", account=account,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_diff_of_a_rerecorded_iam_chain_names_pages_items_and_members(
    account: Account, tmp_path: Path
) -> None:
    iam = _users(account, 7)
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    _record(account, old, "iam", "ListUsers", "--page-size", "3")
    iam.delete_user(UserName="deploy-bot-06")  # the last page shrinks from 1 user to none
    iam.delete_user(UserName="deploy-bot-05")
    iam.tag_user(UserName="deploy-bot-01", Tags=[{"Key": "team", "Value": "payments"}])
    _record(account, new, "iam", "ListUsers", "--page-size", "3")

    same = run("diff", str(old), str(old))
    assert (same.returncode, same.stdout) == (0, "")
    done = run("diff", str(old), str(new))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    # moto's ListUsers ignores MaxItems: one page of every user (measured, moto 5.x)
    assert "items: 7 → 5" in lines
    assert "page 1 Users: 7 → 5" in lines
    assert any(line.startswith("page 1: - Users[5] = {") for line in lines), lines
    for line in lines:  # XML bodies are compared as values, never as markup
        assert "<" not in line, line
    text = old.read_text() + new.read_text()
    for real in ("deploy-bot-05", "deploy-bot-06", account.account_id):
        assert real not in done.stdout
    assert "deploy-bot" not in text  # the names are customer data: faked in both cassettes

    stat = run("diff", "--stat", str(old), str(new))
    assert stat.returncode == 1
    assert stat.stdout.startswith("pages 1, items 7 → 5, members: 0 added, 2 removed")
    as_json = json.loads(run("diff", "--json", str(old), str(new)).stdout)
    assert as_json["items"] == [7, 5] and as_json["same"] is False


def test_diff_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = run("diff", str(bad), str(bad))
    assert done.returncode == 2
    assert "bad.json" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_record_check_reports_the_change_and_writes_nothing(
    account: Account, tmp_path: Path
) -> None:
    table = "orders-prod-eu"
    ddb = _table(account, table, 7)
    cassette = tmp_path / "scan.json"
    _record(account, cassette, "dynamodb", "Scan", "-p", f"TableName={table}", "--page-size", "3")
    before = cassette.read_bytes()

    def check(*extra: str) -> Any:
        return run(
            "record", "--check", "-o", str(cassette), "--endpoint-url", account.url, *extra,
            account=account,
        )  # fmt: skip

    needs = check()  # the table name is in the cassette only as its fake
    assert needs.returncode == 2
    assert "TableName" in needs.stderr and "-p TableName=VALUE" in needs.stderr
    unchanged = check("-p", f"TableName={table}")
    assert unchanged.returncode == 0, unchanged.stderr
    assert unchanged.stdout == ""
    assert "unchanged" in unchanged.stderr

    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "order-900"}, "owner": {"S": "new.buyer@corp-real.io"}},
    )
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "order-001"}, "owner": {"S": "x@corp-real.io"}, "vip": {"BOOL": True}},
    )
    changed = check("-p", f"TableName={table}")
    assert changed.returncode == 1, changed.stderr
    lines = changed.stdout.splitlines()
    assert "items: 7 → 8" in lines
    assert "shape: + Items[].vip.BOOL (boolean)" in lines
    assert any(line.endswith("+ Items[0].vip.BOOL = true") or "vip" in line for line in lines)
    assert any(": + Items[" in line for line in lines), lines
    output = changed.stdout + changed.stderr
    for real in ("order-900", "order-001", "corp-real.io", "new.buyer", table, account.account_id):
        assert real not in output, real
    assert cassette.read_bytes() == before  # nothing was written, in any outcome


def test_git_diff_driver_shows_the_member_path_not_json(account: Account, tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "cassettes" / "sqs").mkdir(parents=True)
    sqs = account.client("sqs")
    for i in range(5):
        sqs.create_queue(QueueName=f"billing-events-{i}")
    cassette = repo / "cassettes" / "sqs" / "list_queues.json"
    _record(account, cassette, "sqs", "ListQueues", "--page-size", "2")

    def g(*args: str) -> str:
        done = subprocess.run(
            [git, "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    g("init", "-q")
    (repo / ".gitattributes").write_text("cassettes/**/*.json diff=pagetape\n")
    textconv = " ".join([sys.executable, "-m", "pagetape", "show", "--textconv"])
    g("config", "diff.pagetape.textconv", textconv)
    g("add", ".")
    g("commit", "-q", "-m", "cassette")
    sqs.create_queue(QueueName="billing-events-9")
    _record(account, cassette, "sqs", "ListQueues", "--page-size", "2")
    shown = g("diff")
    changed = [line for line in shown.splitlines() if line[:1] in "+-" and line[:3] not in "+++---"]
    assert changed, shown
    assert any("response.QueueUrls[" in line for line in changed), shown
    # the new queue's place in the list is moto's choice (index 1 in moto 5.2.5, 5 in 5.2.0)
    assert any(line.startswith("+  response.QueueUrls[") for line in changed), shown
    assert account.account_id not in shown
    for line in changed:  # no JSON punctuation noise: every line is a path = value or a heading
        body = line[1:]
        assert body == "" or " = " in body or body.startswith("interaction ") or ": " in body, line
        assert body.strip() not in ("{", "}", "},", "],", "["), line
    assert "billing-events" not in shown


@pytest.mark.parametrize(
    ("given", "operation"),
    [("resource-groups", "list-groups"), ("resource_groups", "ListGroups"), ("", "")],
)
def test_record_check_takes_any_spelling_of_the_cassettes_own_operation(
    tmp_path: Path, given: str, operation: str
) -> None:
    """A hyphenated service (resource-groups) was compared squashed against the cassette's
    unsquashed name, and refused as another operation."""
    from helpers import hand_made
    from pagetape.record.recording import RecordRequest
    from pagetape.verify.recheck import request_for

    tape = hand_made([], "resource-groups", "ListGroups")
    asked = request_for(RecordRequest(given, operation), tmp_path / "c.json", tape)
    assert (asked.service, asked.operation) == ("resource-groups", "ListGroups")


def test_record_check_refuses_another_operation_in_one_sentence(tmp_path: Path) -> None:
    from helpers import hand_made
    from pagetape.errors import UsageError
    from pagetape.record.recording import RecordRequest
    from pagetape.verify.recheck import request_for

    tape = hand_made([], "resource-groups", "ListGroups")
    with pytest.raises(UsageError, match="records resource-groups ListGroups, not ListTags"):
        request_for(RecordRequest("", "ListTags"), tmp_path / "c.json", tape)
