"""`pagetape verify`: every kind of finding in deliberately bad cassettes, none in good ones.

Bad cassettes are the shipped ones with one thing broken, written as JSON files, so each case
proves the lint catches exactly that thing, with its file, interaction and JSON path. Good ones
are what pagetape writes, including the shapes verify once rejected (a policy URL-encoded twice,
a short number in an ARN's account field); foreign files through the CLI are in the last part
(their parity with sanitize: tests/verify/test_verify_parity.py).
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
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import hand_made
from pagetape.cassette import store as cassette_io
from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import LeakError
from pagetape.sandbox import Sandbox
from pagetape.sanitize.writer import build, write
from pagetape.verify.lint import verify_file
from sanitize_helpers import FIVE, json11, record_live

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "cassettes"
DELETIONS = SHIPPED / "personalize" / "list_data_deletion_jobs.json"
AUDIENCES = SHIPPED / "cleanroomsml" / "list_audience_generation_jobs.json"
RAW_TOKEN = "eyJhY2NvdW50SWQiOiIxMTExMjIyMjMzMzMifQ.c2lnbmF0dXJl"
# Shaped like real credentials, not AWS's documentation placeholders (those are fake already).
ACCESS_KEY = "AKIA2E0A8F3B244C9986"
SECRET_KEY = "q8Zr2Vt7Lm4Xw1Pb/9Nc6Hd3Jk5Fs0Gy8Ru2Ae7Q"
JSON11 = "application/x-amz-json-1.1"
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
        "arn:aws:personalize:us-east-1:210987654321:dataset-group/retail"
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
        "access-key", DELETIONS, _reason(1, f"started with access key {ACCESS_KEY}."),
        [f'interaction 2: {FAILURES}: access key id the sanitizer did not produce: "{ACCESS_KEY}"'],
    ),
    (
        "secret-key", DELETIONS, _reason(0, f"the key {SECRET_KEY} was used"),
        [f'interaction 1: {FAILURES}: secret key the sanitizer did not produce: "{SECRET_KEY}"'],
    ),
    (
        "account-id", DELETIONS, _foreign_arn,
        ['interaction 3: response.body.dataDeletionJobs[1].datasetGroupArn: account id the '
         'sanitizer did not produce: "210987654321"'],
    ),
    (
        "bucket", DELETIONS, _reason(3, "Could not read s3://acme-private-exports/users.csv."),
        [f'interaction 4: {FAILURES}: bucket the sanitizer did not produce: "acme-private-exports"'],
    ),
    (
        "email", DELETIONS, _reason(2, "Submitted by jane.doe@globex-mail.org today."),
        [f'interaction 3: {FAILURES}: email the sanitizer did not produce: "jane.doe@globex-mail.org"'],
    ),
    (
        "public-ip", DELETIONS, _reason(0, "Request from 54.239.28.85 was refused."),
        [f'interaction 1: {FAILURES}: ip address the sanitizer did not produce: "54.239.28.85"'],
    ),
    (
        "metadata-params", DELETIONS,
        _set(["metadata", "params"], {"datasetGroupArn": "arn:aws:personalize:us-east-1:210987654321:dataset-group/x"}),
        ['metadata: metadata.params.datasetGroupArn: account id the sanitizer did not produce: '
         '"210987654321"'],
    ),
    (
        "request-path", DELETIONS,
        _set(["interactions", 0, "request", "path"], "/jobs/arn%3Aaws%3Apersonalize%3Aus-east-1%3A210987654321%3Ax/jane.doe@globex-mail.org"),
        ['interaction 1: request.path: account id the sanitizer did not produce: "210987654321"',
         'interaction 1: request.path: email the sanitizer did not produce: "jane.doe@globex-mail.org"'],
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
    code = (
        "import sys; from pagetape.cli.main import main; sys.argv[0] = 'pagetape'; sys.exit(main())"
    )
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


# -- pagetape's own output passes: the false positives, at their cause --------------------------


def _secrets(*descriptions: str) -> Interaction:
    """Secrets Manager ListSecrets: each description is free text the writer sanitizes."""
    body = {
        "SecretList": [{"Name": f"app/s{i}", "Description": d} for i, d in enumerate(descriptions)]
    }
    return Interaction(
        service="secretsmanager",
        operation="ListSecrets",
        request=Request(
            method="POST",
            path="/",
            query=[],
            headers={"Content-Type": JSON11, "X-Amz-Target": "secretsmanager.ListSecrets"},
            body=b"{}",
        ),
        response=Response(
            status=200, headers={"Content-Type": JSON11}, body=json.dumps(body).encode()
        ),
    )


def _written(tmp_path: Path, *exchanges: Interaction, keep_paths: tuple[str, ...] = ()) -> Path:
    """What the writer writes (or LeakError): the sanitizer, the leak proof, the file."""
    tape, sanitizer = build(list(exchanges), "eu-west-1", keep_paths=keep_paths)
    path = tmp_path / f"written-{len(list(tmp_path.iterdir()))}.json"
    write(path, tape, sanitizer)
    return path


def _hand_written(tmp_path: Path, body: Any) -> Path:
    """A cassette nobody sanitized, holding BODY: what verify must still reject."""
    interaction = cassette_io.Interaction(
        operation="ListSecrets",
        request=cassette_io.Request(method="POST", path="/"),
        response=cassette_io.Response(status=200, body=body),
    )
    path = tmp_path / "hand.json"
    path.write_bytes(cassette_io.encode(hand_made([interaction], "secretsmanager", "ListSecrets")))
    return path


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
}]})  # fmt: skip


def test_a_policy_url_encoded_twice_is_read_decoded_not_as_host_22ec2(tmp_path: Path) -> None:
    """`%2522ec2.amazonaws.com%2522` decoded once reads `%22ec2...`: verify decodes as often as
    the sanitizer does, so no host `22ec2.amazonaws.com` is reported in pagetape's output."""
    twice = quote(quote(POLICY, safe=""), safe="")
    assert "%2522ec2.amazonaws.com%2522" in twice
    path = _written(tmp_path, _secrets(twice, quote(POLICY)))
    assert twice in path.read_text()  # AWS's own values, kept: nothing for verify to accept
    assert verify_file(path) == []
    # Decoded, a real host in the same spelling is still one.
    leak = quote(quote(POLICY.replace("ec2.amazonaws.com", "build.globex-ci.io"), safe=""), safe="")
    [finding] = verify_file(_hand_written(tmp_path, {"Description": leak}))
    assert finding.message == 'host name the sanitizer did not produce: "build.globex-ci.io"'


def test_a_short_number_in_an_arn_is_no_account_id(tmp_path: Path) -> None:
    """An ARN whose account field is a short number (a hand-written one, 98765): its fake is
    another short number, which no check digits can prove. Only what the detection engine calls
    an account id (12 digits) is checked as one."""
    path = _written(tmp_path, _secrets("queue arn:aws:sqs:eu-west-1:98765:orders"))
    doc = json.loads(path.read_text())
    text = doc["interactions"][0]["response"]["body"]["SecretList"][0]["Description"]
    short = text.partition("arn:")[2].split(":")[3]
    assert short.isdigit() and len(short) == 5  # faked or kept, still short
    assert verify_file(path) == []
    assert (
        verify_file(_hand_written(tmp_path, {"Description": "arn:aws:sqs:eu-west-1:40213:q"})) == []
    )
    # Twelve digits there are an account id, and must be a fake.
    arn = "arn:aws:sqs:eu-west-1:210987654321:orders"
    [finding] = verify_file(_hand_written(tmp_path, {"Description": arn}))
    assert finding.message == 'account id the sanitizer did not produce: "210987654321"'


def test_labels_the_sanitizer_keeps_in_a_host_name_pass(tmp_path: Path) -> None:
    """console.aws.amazon.com: `aws` is no service label, but the sanitizer keeps it (AWS's
    own); verify asks the sanitizer rather than keeping a list of its own."""
    path = _written(tmp_path, _secrets("https://console.aws.amazon.com/iam?p=" + quote(POLICY)))
    assert "console.aws.amazon.com" in path.read_text()
    assert verify_file(path) == []


def test_what_the_sanitizer_keeps_passes_whatever_the_kind(tmp_path: Path) -> None:
    """A private block as wide as its RFC 1918 range (192.168.0.0/16) is no host: the
    sanitizer keeps it, and the file's list of fakes cannot name it. Verify asks the same
    rewriter, so it passes too; a private host address the list does not hold does not."""
    ranges = "".join(
        f"<item><cidrIp>{cidr}</cidrIp></item>" for cidr in ("10.0.0.0/8", "192.168.0.0/16")
    )
    xml = (
        '<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        "<securityGroupInfo><item><groupId>sg-903004f8</groupId><ipPermissions><item>"
        f"<ipProtocol>tcp</ipProtocol><ipRanges>{ranges}</ipRanges></item></ipPermissions>"
        "</item></securityGroupInfo></DescribeSecurityGroupsResponse>"
    )
    x = Interaction(
        service="ec2",
        operation="DescribeSecurityGroups",
        request=Request(
            method="POST",
            path="/",
            query=[],
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=b"Action=DescribeSecurityGroups&Version=2016-11-15",
        ),
        response=Response(status=200, headers={"Content-Type": "text/xml"}, body=xml.encode()),
    )
    path = _written(tmp_path, x)
    assert "192.168.0.0/16" in path.read_text()
    assert verify_file(path) == []
    [finding] = verify_file(_hand_written(tmp_path, {"Description": "host 192.168.7.19"}))
    assert finding.message == 'ip address the sanitizer did not produce: "192.168.7.19"'


def test_values_on_a_kept_path_pass_there_and_everywhere(tmp_path: Path) -> None:
    """`--keep SecretList[].Description`: the value stays real, and verify honours the path."""
    email = "Ops contact: marta.kowalczyk@globex-retail.io"
    path = _written(tmp_path, _secrets(email), keep_paths=("SecretList[].Description",))
    assert email in path.read_text()
    assert verify_file(path) == []
    doc = json.loads(path.read_text())
    doc["metadata"]["kept_paths"] = []
    path.write_text(json.dumps(doc))
    assert [f.path for f in verify_file(path)] == ["response.body.SecretList[0].Description"]


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=2, max_size=12)
_PRINCIPAL = st.one_of(
    st.sampled_from(
        ["ec2.amazonaws.com", "lambda.amazonaws.com", "states.eu-west-1.amazonaws.com"]
    ).map(lambda s: {"Service": s}),
    st.integers(10**11, 10**12 - 1).map(lambda n: {"AWS": f"arn:aws:iam::{n}:root"}),
    st.tuples(st.integers(10**11, 10**12 - 1), _WORD).map(
        lambda t: {"AWS": f"arn:aws:iam::{t[0]}:role/{t[1]}"}
    ),
)
_STATEMENT = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Principal": _PRINCIPAL,
    "Action": st.lists(st.sampled_from(["sts:AssumeRole", "s3:GetObject", "sqs:SendMessage"]),
                       min_size=1, max_size=3),
    "Resource": st.one_of(
        _WORD.map(lambda w: f"arn:aws:s3:::{w}-bucket/*"),
        st.tuples(st.integers(1, 99999), _WORD)
        .map(lambda t: f"arn:aws:sqs:eu-west-1:{t[0]}:{t[1]}"),
    ),
})  # fmt: skip
_POLICIES = st.fixed_dictionaries(
    {"Version": st.just("2012-10-17"), "Statement": st.lists(_STATEMENT, min_size=1, max_size=3)}
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(policy=_POLICIES, times=st.integers(1, 3), spacing=st.sampled_from([None, (",", ":")]))
def test_any_policy_url_encoded_once_or_more_verifies_clean_once_written(
    tmp_path: Path, policy: dict[str, Any], times: int, spacing: tuple[str, str] | None
) -> None:
    """Whatever a URL-encoded policy holds (service principals, accounts, role names, buckets,
    short numbers in ARNs), what the writer makes of it verify accepts."""
    text = json.dumps(policy, separators=spacing)
    for _ in range(times):
        text = quote(text, safe="")
    try:
        path = _written(tmp_path, _secrets(text, f"see {text} for details"))
    except LeakError as exc:  # the sanitizer's own inconsistency: nothing was written
        pytest.fail(f"the writer refused a policy: {exc}")
    assert verify_file(path) == []


# -- the CLI on foreign files -------------------------------------------------------------------


def test_the_cli_audits_a_foreign_file_exit_1_and_clean_output_exit_0(
    cli: Any, tmp_path: Path
) -> None:
    foreign = ROOT / "tests" / "data" / "foreign"
    sts = foreign / "placebo" / "cloud-custodian" / "test_credential_sts" / "sts.AssumeRole_1.json"
    vcr = foreign / "vcrpy" / "openinference" / "test_apply_guardrails.yaml"
    result = cli("verify", str(sts), str(vcr))
    assert result.code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert f'{sts}: interaction 1: response.body.AssumedRoleUser.Arn: account id (not sanitized): ' \
           '"644160558196"' in lines  # fmt: skip
    assert all(
        line.startswith((f"{sts}: interaction 1: ", f"{vcr}: interaction ")) for line in lines
    )
    assert result.stderr.strip() == f"{len(lines)} findings in 2 of 2 cassettes"
    # What sanitize writes from it verifies clean.
    written = tmp_path / "guardrails.json"
    assert cli("sanitize", str(vcr), "-o", str(written)).code == 0
    clean = cli("verify", str(written))
    assert (clean.code, clean.stdout, clean.stderr.strip()) == (0, "", "1 cassette clean")


def test_a_foreign_file_sanitize_cannot_read_is_one_sentence_and_exit_1(
    cli: Any, tmp_path: Path
) -> None:
    (tmp_path / "broken.yaml").write_text("interactions:\n  - request: [\n")
    result = cli("verify", "broken.yaml")
    assert result.code == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("broken.yaml: file: $: is neither JSON nor YAML: ")
    assert result.stderr.strip() == "1 finding in 1 of 1 cassette"
    assert "Traceback" not in result.stderr


def test_a_pre_scrubbed_host_label_is_clean(tmp_path: Path) -> None:
    """ip-00-00-00-00 (redacted by the fixture's author) is written as it is and verify finds
    nothing: the address it embeds identifies nobody."""
    body = {
        "InstanceInformationList": [
            {"InstanceId": "i-0abc12345def67890", "PingStatus": "Online",
             "ComputerName": "ip-00-00-00-00.eu-west-1.compute.internal"}
        ]
    }  # fmt: skip
    exchange = json11("ssm", "DescribeInstanceInformation", {}, body)
    tape, sanitizer = build([exchange], "eu-west-1")
    out = tmp_path / "instances.json"
    write(out, tape, sanitizer)
    assert "ip-00-00-00-00.eu-west-1.compute.internal" in out.read_text()
    assert verify_file(out) == []
