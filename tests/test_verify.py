"""`pagetape verify`: every kind of finding in deliberately bad cassettes, none in good ones.

Bad cassettes are the shipped ones with one thing broken, written as JSON files, so each case
proves the lint catches exactly that thing, with its file, interaction and JSON path.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pagetape.sandbox import Sandbox
from pagetape.verify import verify_file
from sanitize_helpers import FIVE, record_live

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "cassettes"
DELETIONS = SHIPPED / "personalize" / "list_data_deletion_jobs.json"
AUDIENCES = SHIPPED / "cleanroomsml" / "list_audience_generation_jobs.json"
RAW_TOKEN = "eyJhY2NvdW50SWQiOiIxMTExMjIyMjMzMzMifQ.c2lnbmF0dXJl"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
Doc = dict[str, Any]


def job(doc: Doc, interaction: int, n: int = 0) -> Doc:
    """Item N of page INTERACTION (0-based) of the deletion-jobs cassette."""
    item: Doc = doc["interactions"][interaction]["response"]["body"]["dataDeletionJobs"][n]
    return item


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _reason(interaction: int, text: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        job(doc, interaction)["failureReason"] = text

    return mutate


def _raw_token(doc: Doc) -> None:
    doc["interactions"][0]["response"]["body"]["nextToken"] = RAW_TOKEN
    doc["interactions"][1]["request"]["body"]["nextToken"] = RAW_TOKEN


def _foreign_arn(doc: Doc) -> None:
    job(doc, 2, 1)["datasetGroupArn"] = (
        "arn:aws:personalize:us-east-1:111122223333:dataset-group/retail"
    )


def _repeat_query_token(doc: Doc) -> None:
    query = doc["interactions"][2]["request"]["query"]
    doc["interactions"][2]["request"]["query"] = [
        [k, "pagetape-token-0001" if k == "nextToken" else v] for k, v in query
    ]


FAILURES = "response.body.dataDeletionJobs[0].failureReason"
# (case, source, mutation, expected lines after "FILE: ")
BAD: list[tuple[str, Path, Callable[[Doc], None], list[str]]] = [
    (
        "authorization", DELETIONS,
        _set(["interactions", 0, "request", "headers", "authorization"], "AWS4-HMAC-SHA256 x"),
        ["interaction 1: request.headers.authorization: credential header"],
    ),
    (
        "security-token", DELETIONS,
        _set(["interactions", 1, "request", "headers", "X-Amz-Security-Token"], "IQoJb3JpZ2lu"),
        ["interaction 2: request.headers.X-Amz-Security-Token: credential header"],
    ),
    (
        "amz-date", DELETIONS,
        _set(["interactions", 3, "request", "headers", "x-amz-date"], "20240104T082241Z"),
        ["interaction 4: request.headers.x-amz-date: credential header"],
    ),
    (
        "set-cookie", DELETIONS,
        _set(["interactions", 2, "response", "headers", "set-cookie"], "session=abc; Secure"),
        ["interaction 3: response.headers.set-cookie: credential header"],
    ),
    (
        "access-key", DELETIONS, _reason(1, "started with access key AKIAIOSFODNN7EXAMPLE."),
        [f'interaction 2: {FAILURES}: access key id the sanitizer did not produce: "AKIAIOSFODNN7EXAMPLE"'],
    ),
    (
        "secret-key", DELETIONS, _reason(0, f"the key {SECRET_KEY} was used"),
        [f'interaction 1: {FAILURES}: secret key the sanitizer did not produce: "{SECRET_KEY}"'],
    ),
    (
        "account-id", DELETIONS, _foreign_arn,
        ['interaction 3: response.body.dataDeletionJobs[1].datasetGroupArn: account id the '
         'sanitizer did not produce: "111122223333"'],
    ),
    (
        "bucket", DELETIONS, _reason(3, "Could not read s3://acme-private-exports/users.csv."),
        [f'interaction 4: {FAILURES}: bucket the sanitizer did not produce: "acme-private-exports"'],
    ),
    (
        "email", DELETIONS, _reason(2, "Submitted by jane.doe@example.org today."),
        [f'interaction 3: {FAILURES}: email the sanitizer did not produce: "jane.doe@example.org"'],
    ),
    (
        "public-ip", DELETIONS, _reason(0, "Request from 54.239.28.85 was refused."),
        [f'interaction 1: {FAILURES}: ip address the sanitizer did not produce: "54.239.28.85"'],
    ),
    (
        "metadata-params", DELETIONS,
        _set(["metadata", "params"], {"datasetGroupArn": "arn:aws:personalize:us-east-1:111122223333:dataset-group/x"}),
        ['metadata: metadata.params.datasetGroupArn: account id the sanitizer did not produce: '
         '"111122223333"'],
    ),
    (
        "request-path", DELETIONS,
        _set(["interactions", 0, "request", "path"], "/jobs/arn%3Aaws%3Apersonalize%3Aus-east-1%3A111122223333%3Ax/jane.doe@example.org"),
        ['interaction 1: request.path: account id the sanitizer did not produce: "111122223333"',
         'interaction 1: request.path: email the sanitizer did not produce: "jane.doe@example.org"'],
    ),
    (
        "unsanitized-token", DELETIONS, _raw_token,
        ["interaction 1: response.token: pagination token was not replaced",
         "interaction 2: request.token: pagination token was not replaced"],
    ),
    (
        "broken-chain", DELETIONS,
        _set(["interactions", 1, "request", "body", "nextToken"], "pagetape-token-0099"),
        ["interaction 2: request.token: broken token chain: pagetape-token-0099 was never "
         "returned by an earlier page",
         "interaction 1: response.token: broken token chain: no later request asks for "
         "pagetape-token-0001"],
    ),
    (
        "query-chain", AUDIENCES, _repeat_query_token,
        ["interaction 2: response.token: broken token chain: no later request asks for "
         "pagetape-token-0002"],
    ),
    (
        "unknown-version", DELETIONS, _set(["pagetape"], 2),
        ["file: $: has cassette version 2; this pagetape reads version 1 only"],
    ),
    (
        "missing-field", DELETIONS, lambda doc: doc["metadata"].pop("service"),
        ["file: $: is malformed: Object missing required field `service` - at `$.metadata`"],
    ),
    (
        "not-a-cassette", DELETIONS, lambda doc: doc.pop("pagetape"),
        ["file: $: is not a pagetape cassette: it has no 'pagetape' version"],
    ),
]  # fmt: skip
NAMES = [case[0] for case in BAD]


def _write_bad(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, source, mutate, _ in BAD:
        doc = copy.deepcopy(json.loads(source.read_text()))
        mutate(doc)
        out[name] = folder / f"{name}.json"
        out[name].write_text(json.dumps(doc, indent=2))
    out["malformed"] = folder / "malformed.json"
    out["malformed"].write_text(DELETIONS.read_text()[:300])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_each_finding_kind_is_reported_where_it_is(tmp_path: Path, name: str) -> None:
    path = _write_bad(tmp_path)[name]
    expected = next(lines for case, _, _, lines in BAD if case == name)
    assert sorted(str(f) for f in verify_file(path)) == sorted(
        f"{path}: {line}" for line in expected
    )


def _console_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """What the installed `pagetape` console script runs: sys.exit(main())."""
    code = "import sys; from pagetape.cli import main; sys.argv[0] = 'pagetape'; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_the_cli_reports_every_bad_cassette_and_exits_1(tmp_path: Path) -> None:
    _write_bad(tmp_path / "bad")
    result = _console_script("verify", "bad", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    expected = [f"bad/{case}.json: {line}" for case, _, _, case_lines in BAD for line in case_lines]
    malformed = [line for line in lines if line.startswith("bad/malformed.json: ")]
    assert sorted(set(lines) - set(malformed)) == sorted(expected)
    [broken] = malformed
    assert broken.startswith("bad/malformed.json: file: $: is not a pagetape cassette: ")
    assert "truncated" in broken
    n = len(BAD) + 1
    assert result.stderr.strip() == f"{len(lines)} findings in {n} of {n} cassettes"
    assert "Traceback" not in result.stderr


def test_python_dash_m_verify_exits_1_on_findings(cli, tmp_path: Path) -> None:
    bad = _write_bad(tmp_path / "bad")["authorization"]
    result = cli("verify", str(bad))
    assert "credential header" in result.stdout
    assert result.code == 1


def test_fakes_kept_rules_and_harmless_addresses_are_not_findings(tmp_path: Path) -> None:
    doc = json.loads(DELETIONS.read_text())
    fake_account = job(doc, 0)["dataDeletionJobArn"].split(":")[4]
    assert fake_account in doc["metadata"]["fakes"]
    job(doc, 0)["failureReason"] = (
        f"Account {fake_account} asked from 198.18.3.4 and 127.0.0.1 with AKIAPAGETAPEABCDEFGH; "
        "see pagetape-token-0001 and arn:aws:s3:::* for details."
    )
    job(doc, 1)["failureReason"] = "Request from 54.239.28.85 was refused."
    doc["metadata"]["kept_rules"] = ["ip_address"]
    path = tmp_path / "fine.json"
    path.write_text(json.dumps(doc))
    assert verify_file(path) == []
    doc["metadata"]["kept_rules"] = []
    path.write_text(json.dumps(doc))
    assert [f.message for f in verify_file(path)] == [
        'ip address the sanitizer did not produce: "54.239.28.85"'
    ]


def test_shipped_cassettes_pass(cli, tmp_path: Path) -> None:
    result = cli("verify", str(SHIPPED))
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr.strip().endswith("cassettes clean")
    # With no argument it checks ./cassettes.
    shutil.copytree(SHIPPED, tmp_path / "cassettes")
    default = cli("verify")
    assert default.code == 0 and default.stderr == result.stderr


def test_a_missing_path_is_bad_usage(cli) -> None:
    result = cli("verify", "nowhere")
    assert result.code == 2
    assert result.stderr.strip() == "pagetape: nowhere: no such file or folder"


def test_cassettes_the_sanitizer_writes_pass(cli, sandbox: Sandbox, tmp_path: Path) -> None:
    """Every corpus cassette is verified in test_sanitize.py; here the CLI checks a folder."""
    for service, operation in FIVE:
        record_live(sandbox, service, operation, tmp_path / "w" / f"{operation}.json", 10)
    record_live(
        sandbox, "frauddetector", "GetBatchPredictionJobs", tmp_path / "w" / "error.json",
        params={"jobId": "no-such-job"}, record_errors=True,
    )  # fmt: skip
    result = cli("verify", "w")
    assert result.stdout == "", result.stdout
    assert result.stderr.strip() == "6 cassettes clean"
