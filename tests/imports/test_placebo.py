"""`pagetape import placebo`: folders recorded by placebo itself (attached to a boto3 session that
talks to moto in server mode) become cassettes that leak nothing, pass `verify`, and replay
through boto3 paginators with the same items; malformed folders fail with one sentence naming
the file."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import jmespath
import pytest
from botocore.exceptions import ClientError

from helpers import encoded_forms, needs_model
from moto_helpers import REGION, Account, fresh_account, unique
from pagetape.aws.isolation import isolated_environment
from pagetape.cassette import store as cassette_io
from pagetape.cli import summary
from pagetape.errors import CassetteError, CassetteExistsError
from pagetape.imports.placebo import default_out_dir, import_folder, import_placebo
from pagetape.imports.placebo_requests import PLACEHOLDER
from pagetape.replay.engine import Tape, replay_chain
from pagetape.verify.lint import verify

ROOT = Path(__file__).resolve().parents[1]
FOREIGN = ROOT / "data" / "foreign" / "placebo"


@dataclass
class Recorded:
    """A placebo folder of real responses and what the live walks saw."""

    folder: Path
    account: Account
    bucket: str
    table: str
    planted: list[str]  # identifying values that must not survive the import
    items: dict[str, list[Any]] = field(default_factory=dict)  # cassette -> live items


def _walk(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    pages = client.get_paginator(operation).paginate(**params)
    return [item for page in pages for item in page.get(key, [])]


def _record(account: Account, folder: Path) -> Recorded:
    """Make resources with identifying names, then walk four chains with placebo recording."""
    import placebo

    roles = [unique(f"acme-payments-role-{i}") for i in range(5)]
    iam = account.client("iam")
    for name in roles:
        iam.create_role(RoleName=name, Path="/acme/", AssumeRolePolicyDocument="{}")
    bucket, table = unique("acme-payments-ledger"), unique("acme-payments-orders")
    s3 = account.client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    keys = [f"invoices/acme-{i} q3+final.csv" for i in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    ec2 = account.client("ec2")
    ec2.run_instances(
        ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=2, MaxCount=2,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "acme-payments-web"}]}
        ],
    )  # fmt: skip
    ddb = account.client("dynamodb")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"order-{i}"}, "total": {"N": str(i)}})

    session = boto3.Session(
        aws_access_key_id=account.key[0], aws_secret_access_key=account.key[1], region_name=REGION
    )
    pill = placebo.attach(session, data_path=str(folder))
    pill.record()
    try:

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=account.url)

        page2 = {"PaginationConfig": {"PageSize": 2}}
        recorded = Recorded(
            folder, account, bucket, table, [account.account_id, *roles, bucket, table]
        )
        recorded.items = {
            "iam/list_roles.json": _walk(client("iam"), "list_roles", "Roles", **page2),
            "s3/list_objects_v2.json": _walk(
                client("s3"), "list_objects_v2", "Contents", Bucket=bucket, **page2
            ),
            "ec2/describe_instances.json": _walk(
                client("ec2"), "describe_instances", "Reservations"
            ),
            "dynamodb/scan.json": _walk(
                client("dynamodb"), "scan", "Items", TableName=table, **page2
            ),
        }
        with pytest.raises(ClientError):
            client("iam").get_role(RoleName="acme-payments-missing")
    finally:
        pill.stop()
    assert [len(v) for v in recorded.items.values()] == [5, 5, 1, 5]
    return recorded


@pytest.fixture
def recorded(moto_url: str, tmp_path: Path) -> Recorded:
    folder = tmp_path / "placebo" / "test_billing_report"
    folder.mkdir(parents=True)
    return _record(fresh_account(moto_url), folder)


def _replayed(path: Path, service: str, operation: str, key: str, **params: Any) -> list[Any]:
    """Walk a cassette with a boto3 paginator and the test's own (real) parameters."""
    tape = Tape.load([path])
    with isolated_environment(tape.metadata.region), tape:
        items = _walk(boto3.client(service), operation, key, **params)
        tape.assert_exhausted()
    return items


@pytest.mark.moto
def test_placebo_folder_becomes_clean_cassettes_that_replay(
    recorded: Recorded, tmp_path: Path
) -> None:
    names = sorted(p.name for p in recorded.folder.iterdir())
    assert names == [
        "dynamodb.Scan_1.json", "dynamodb.Scan_2.json", "dynamodb.Scan_3.json",
        "ec2.DescribeInstances_1.json", "iam.GetRole_1.json",
        "iam.ListRoles_1.json", "iam.ListRoles_2.json", "iam.ListRoles_3.json",
        "s3.ListObjectsV2_1.json", "s3.ListObjectsV2_2.json", "s3.ListObjectsV2_3.json",
    ]  # fmt: skip
    raw = "".join(p.read_text() for p in recorded.folder.iterdir())
    assert (
        recorded.account.account_id in raw and recorded.bucket in raw
    )  # what the import must remove

    out = tmp_path / "cassettes"
    written = import_placebo(recorded.folder, out)
    assert [p.relative_to(out).as_posix() for p in written] == [
        "dynamodb/scan.json", "ec2/describe_instances.json", "iam/get_role.json",
        "iam/list_roles.json", "s3/list_objects_v2.json",
    ]  # fmt: skip

    text = "".join(p.read_text() for p in written)
    leaks = [(v, f) for v in recorded.planted for f in encoded_forms(v) if f in text]
    assert not leaks
    assert PLACEHOLDER not in text  # placeholders are sanitized like any name
    checked, findings = verify([out])
    assert len(checked) == 5 and not findings, findings

    for name in written:
        tape = cassette_io.load(name)
        assert isinstance(tape.metadata.source, str)
        assert tape.metadata.source.startswith("placebo: ")
    expect = recorded.items
    roles = _replayed(out / "iam/list_roles.json", "iam", "list_roles", "Roles")
    assert len(roles) == len(expect["iam/list_roles.json"])
    # Timestamps come back as the live walk saw them.
    assert [r["CreateDate"] for r in roles] == [
        r["CreateDate"] for r in expect["iam/list_roles.json"]
    ]
    assert all(isinstance(r["CreateDate"], datetime) for r in roles)
    objects = _replayed(
        out / "s3/list_objects_v2.json", "s3", "list_objects_v2", "Contents",
        Bucket=recorded.bucket,
    )  # fmt: skip
    assert len(objects) == 5
    assert [o["Size"] for o in objects] == [o["Size"] for o in expect["s3/list_objects_v2.json"]]
    reservations = _replayed(
        out / "ec2/describe_instances.json", "ec2", "describe_instances", "Reservations"
    )
    assert [len(r["Instances"]) for r in reservations] == [2]
    rows = _replayed(out / "dynamodb/scan.json", "dynamodb", "scan", "Items", TableName="mine")
    assert len(rows) == 5
    for name in ("iam/list_roles.json", "s3/list_objects_v2.json", "dynamodb/scan.json"):
        walk = replay_chain(out / name)  # `pagetape replay`: the cassette's own parameters
        assert len(walk.items) == 5 and walk.pages == 3, name

    tape = Tape.load([out / "iam/get_role.json"])
    with isolated_environment(tape.metadata.region), tape, pytest.raises(ClientError) as raised:
        boto3.client("iam").get_role(RoleName="acme-payments-missing")
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"


@pytest.mark.moto
def test_chain_cut_short_ends_at_its_last_page(recorded: Recorded, tmp_path: Path) -> None:
    """ListRoles_1 alone gives a Marker no later file answers: the cassette ends there."""
    only = tmp_path / "first-page-only"
    only.mkdir()
    shutil.copy(recorded.folder / "iam.ListRoles_1.json", only)
    [path] = import_placebo(only, tmp_path / "out")
    assert not verify([path])[1]
    assert len(_replayed(path, "iam", "list_roles", "Roles")) == 2
    source = cassette_io.load(path).metadata.source
    assert isinstance(source, str) and "iam.ListRoles_1.json gives a token" in source


@pytest.mark.moto
def test_existing_cassettes_are_kept_without_force(recorded: Recorded, tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = out / "iam" / "list_roles.json"
    target.parent.mkdir(parents=True)
    target.write_text("mine")
    with pytest.raises(CassetteExistsError, match=r"list_roles\.json already exists"):
        import_placebo(recorded.folder, out)
    assert target.read_text() == "mine"
    assert sorted(p.name for p in out.rglob("*.json")) == ["list_roles.json"]  # nothing else
    written = import_placebo(recorded.folder, out, force=True)
    assert target in written and cassette_io.load(target).metadata.pages == 3


@pytest.mark.parametrize(
    "folder", sorted(p for p in FOREIGN.glob("*/*") if p.is_dir()), ids=lambda p: p.name
)
def test_real_world_placebo_folders_import_clean(folder: Path, tmp_path: Path) -> None:
    """Folders from cloud-custodian, zappa and placebo's own tests: endpoint-prefix names
    (api.sagemaker, tagging), a Pill prefix, StreamingBody, credentials, datetimes."""
    written = import_placebo(folder, tmp_path / "out")
    assert written
    assert not verify(written)[1]
    for path in written:
        tape = cassette_io.load(path)
        if tape.metadata.result_key is not None and tape.metadata.error is None:
            walk = replay_chain(path)  # every chain, in recorded order
            assert walk.error is None and walk.pages == tape.metadata.pages


def test_a_real_folder_that_lists_one_operation_three_times_replays_three_chains(
    tmp_path: Path,
) -> None:
    """cloud-custodian's test_distribution_waf: `waf.ListWebACLs_1..6` are three 2-page walks
    (NextMarker, then an empty last page), once per distribution checked. They were one
    6-page chain whose replay served only the first walk."""
    written = import_placebo(FOREIGN / "cloud-custodian" / "test_distribution_waf", tmp_path)
    [path] = [p for p in written if p.name == "list_web_acls.json" and p.parent.name == "waf"]
    rows = summary.page_rows(cassette_io.load(path))
    assert [row["chain"] for row in rows] == [1, 1, 2, 2, 3, 3]
    walk = replay_chain(path)
    assert (walk.pages, walk.chains, len(walk.items)) == (6, 3, 3)
    with isolated_environment("us-east-1"), Tape.load([path]) as replay:
        waf = boto3.client("waf")
        for _ in range(3):
            assert len(list(waf.get_paginator("list_web_acls").paginate())) == 2
        replay.assert_exhausted()


def test_credentials_and_account_ids_of_a_real_folder_are_gone(tmp_path: Path) -> None:
    folder = FOREIGN / "cloud-custodian" / "test_credential_sts"
    data = json.loads((folder / "sts.AssumeRole_1.json").read_text())["data"]
    secrets = [
        data["Credentials"]["AccessKeyId"], data["Credentials"]["SecretAccessKey"],
        data["Credentials"]["SessionToken"], "644160558196",
    ]  # fmt: skip
    text = "".join(p.read_text() for p in import_placebo(folder, tmp_path / "out"))
    assert not [s for s in secrets for f in encoded_forms(s) if f in text]


def test_endpoint_prefixes_and_pill_prefixes_name_the_cassettes(tmp_path: Path) -> None:
    """placebo names files by endpoint prefix (api.sagemaker, elasticloadbalancing), after an
    optional Pill prefix (foo.ec2...): cassettes are named by boto3 service, under the prefix."""

    def names(folder: Path, out: Path) -> list[str]:
        return [p.relative_to(out).as_posix() for p in import_placebo(folder, out)]

    custodian = FOREIGN / "cloud-custodian" / "test_sagemaker_training_job_query"
    assert names(custodian, tmp_path / "a") == [
        "sagemaker/describe_training_job.json", "sagemaker/list_tags.json",
        "sagemaker/list_training_jobs.json",
    ]  # fmt: skip
    assert names(FOREIGN / "placebo" / "saved", tmp_path / "b") == [
        "ec2/describe_addresses.json", "ec2/describe_key_pairs.json",
        "foo/ec2/describe_addresses.json",
    ]  # fmt: skip
    # elb and elbv2 share the endpoint prefix and the operation: the response's members decide.
    for key, service in (("LoadBalancerDescriptions", "elb"), ("LoadBalancers", "elbv2")):
        folder = tmp_path / key
        page = {"status_code": 200, "data": {key: []}}
        _write(folder, "elasticloadbalancing.DescribeLoadBalancers_1.json", page)
        assert names(folder, tmp_path / f"out-{key}") == [f"{service}/describe_load_balancers.json"]


def _placebo_json(value: Any) -> Any:
    """What placebo's serializer writes for a parsed value."""
    if isinstance(value, dict):
        return {k: _placebo_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placebo_json(v) for v in value]
    if isinstance(value, datetime):
        return {
            "__class__": "datetime", "__module__": "datetime", "year": value.year,
            "month": value.month, "day": value.day, "hour": value.hour, "minute": value.minute,
            "second": value.second, "microsecond": value.microsecond,
        }  # fmt: skip
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _write(folder: Path, name: str, content: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


ROLES_PAGE = {"status_code": 200, "data": {"Roles": [], "IsTruncated": False}}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("iam.ListRoles_1.json", "{not json", "is not JSON"),
        ("iam.ListRoles_1.json", "[1, 2]", "is not a placebo response"),
        ("iam.ListRoles_1.json", {"status_code": 200}, "is not a placebo response"),
        ("iam.ListRoles_1.json", {"status_code": "ok", "data": {}}, "is not a placebo response"),
        ("iam.ListRoles_1.json", {"status_code": 7, "data": {}}, "is not an HTTP status"),
        ("nosuchservice.ListThings_1.json", ROLES_PAGE, "unknown AWS service 'nosuchservice'"),
        ("iam.ListThings_1.json", ROLES_PAGE, "iam has no operation 'ListThings'"),
        ("roles.json", ROLES_PAGE, "is not named like a placebo response"),
        (
            "iam.ListRoles_1.json",
            {"status_code": 200, "data": {"Roles": {"a": 1}}},
            "data.Roles should be a list, not an object",
        ),
        (
            "iam.ListRoles_1.json",
            {"status_code": 200, "data": {"Roles": [{"CreateDate": [1]}]}},
            "data.Roles[0].CreateDate should be a timestamp, not a list",
        ),
        (
            "iam.ListRoles_1.json",
            {"status_code": 200, "data": {"Roles": [{"CreateDate": {"__class__": "datetime"}}]}},
            "data.Roles[0].CreateDate is not a valid placebo datetime",
        ),
        (
            "iam.ListRoles_1.json",
            {"status_code": 404, "data": {"Message": "gone"}},
            "status_code 404 but data has no Error.Code",
        ),
        ("iam.ListRoles_1.pickle", "binary", "pagetape does not unpickle"),
    ],
)
def test_malformed_file_is_one_sentence_naming_it(
    tmp_path: Path, name: str, content: Any, reason: str
) -> None:
    path = _write(tmp_path / "in", name, content)
    with pytest.raises(CassetteError) as raised:
        import_placebo(tmp_path / "in", tmp_path / "out")
    message = str(raised.value)
    assert str(path) in message and reason in message
    assert "\n" not in message and "Traceback" not in message
    assert not (tmp_path / "out").exists()


def test_folder_without_placebo_files(tmp_path: Path) -> None:
    (tmp_path / "empty" / "test_a").mkdir(parents=True)
    _write(tmp_path / "empty" / "test_a", "iam.ListRoles_1.json", ROLES_PAGE)
    with pytest.raises(CassetteError, match=r"holds no placebo responses.*import each of them"):
        import_placebo(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(CassetteError, match="is not a folder of placebo responses"):
        import_placebo(tmp_path / "missing", tmp_path / "out")


def test_default_out_dir_is_per_placebo_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _write(tmp_path / "placebo" / "test_roles", "iam.ListRoles_1.json", ROLES_PAGE).parent
    monkeypatch.chdir(tmp_path)
    assert default_out_dir(folder) == Path("cassettes/test_roles")
    [path] = import_placebo(folder)
    assert path == Path("cassettes/test_roles/iam/list_roles.json")
    assert cassette_io.load(tmp_path / path).metadata.region == "us-east-1"


def test_datetimes_blobs_and_iso_text_come_back_as_botocore_parses_them(tmp_path: Path) -> None:
    """ISO text (hand-written files), placebo datetime objects with microseconds, and bytes
    written as base64 (KMS ListKeys has none: DescribeKey's KeyMetadata dates, json protocol)."""
    page = {
        "KeyMetadata": {
            "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
            "CreationDate": {"__class__": "datetime", "year": 2020, "month": 5, "day": 29,
                             "hour": 13, "minute": 27, "second": 6, "microsecond": 475000},
            "DeletionDate": "2021-01-02T03:04:05.250Z",
        }
    }  # fmt: skip
    folder = tmp_path / "in"
    _write(folder, "kms.DescribeKey_1.json", {"status_code": 200, "data": page})
    blob = {"CiphertextBlob": base64.b64encode(b"\x00\x01secret").decode(), "KeyId": "k"}
    _write(folder, "kms.Encrypt_1.json", {"status_code": 200, "data": blob})
    out = tmp_path / "out"
    import_placebo(folder, out)
    tape = Tape.load([out / "kms/describe_key.json", out / "kms/encrypt.json"])
    with isolated_environment(tape.metadata.region), tape:
        kms = boto3.client("kms")
        meta = kms.describe_key(KeyId="alias/anything")["KeyMetadata"]
        encrypted = kms.encrypt(KeyId="alias/anything", Plaintext=b"x")
    assert meta["CreationDate"].isoformat() == "2020-05-29T13:27:06.475000+00:00"
    assert meta["DeletionDate"].isoformat() == "2021-01-02T03:04:05.250000+00:00"
    assert isinstance(encrypted["CiphertextBlob"], bytes) and encrypted["CiphertextBlob"]


SAMPLE = [
    ("dynamodb", "Scan"),
    ("logs", "DescribeLogGroups"),
    ("lambda", "ListFunctions"),
    ("iam", "ListUsers"),
    ("rds", "DescribeEngineDefaultParameters"),
    ("ec2", "DescribeVolumes"),
    ("s3", "ListObjects"),
    ("s3", "ListParts"),
    ("route53", "ListResourceRecordSets"),
    ("cloudfront", "ListDistributions"),
    ("eventbridgev2", "ListEventBuses"),
    ("kinesis", "DescribeStream"),
]


@pytest.mark.parametrize(
    ("service", "operation"), [needs_model(s, o, id=f"{s}.{o}") for s, o in SAMPLE]
)
def test_synthesized_chains_of_every_protocol(tmp_path: Path, service: str, operation: str) -> None:
    """The conformance harness's three synthesized pages, written as placebo would, import to a
    chain a boto3 paginator walks with the harness's own (real) parameters: echoed ones match
    as sanitized, the others through placeholders."""
    from conformance import synth

    scenario = synth.build(service, operation, 7)
    model = synth.session().get_service_model(service)
    inputs = scenario.op.input_shape.members if scenario.op.input_shape else {}
    for page in scenario.pages:  # echo the parameters as AWS does: what was asked, only that
        for node in [page, *(v for v in page.values() if isinstance(v, dict))]:
            for name in [k for k in node if k in inputs and not isinstance(node[k], dict)]:
                if name in scenario.params:
                    node[name] = scenario.params[name]
                elif node is page and name not in scenario.paging.input_token:
                    del node[name]
    folder = tmp_path / "in"
    for n, page in enumerate(scenario.pages, 1):
        name = f"{model.endpoint_prefix}.{operation}_{n}.json"
        _write(folder, name, {"status_code": 200, "data": _placebo_json(page)})
    [path] = import_placebo(folder, tmp_path / "out", region=synth.REGION)
    assert not verify([path])[1]
    tape = Tape.load([path])
    with isolated_environment(synth.REGION), tape:
        client = boto3.client(service)
        pages = list(client.get_paginator(scenario.snake).paginate(**scenario.params))
        tape.assert_exhausted()
    got = [{k: synth.count(jmespath.search(k, p)) for k in scenario.paging.result_key}
           for p in pages]  # fmt: skip
    assert got == scenario.counts


def test_names_learnt_from_one_operation_leave_every_cassette(tmp_path: Path) -> None:
    """A placebo folder is one test's world: the role ListRoles names is replaced in the free
    text of GetRole's error too, a cassette the ListRoles responses are not part of."""
    folder = tmp_path / "in"
    role = {
        "RoleName": "acme-ledger-writer", "RoleId": "AROAEXAMPLEID0000001", "Path": "/",
        "Arn": "arn:aws:iam::210987654321:role/acme-ledger-writer",
        "CreateDate": "2024-01-02T03:04:05Z",
    }  # fmt: skip
    _write(folder, "iam.ListRoles_1.json", {"status_code": 200, "data": {"Roles": [role]}})
    error = {"Error": {"Code": "AccessDenied", "Message": "acme-ledger-writer may not do that"}}
    _write(folder, "iam.GetRole_1.json", {"status_code": 403, "data": error})
    written = import_placebo(folder, tmp_path / "out")
    text = "".join(p.read_text() for p in written)
    assert "acme-ledger-writer" not in text and "210987654321" not in text
    tape = Tape.load([tmp_path / "out" / "iam" / "get_role.json"])
    with isolated_environment(tape.metadata.region), tape, pytest.raises(ClientError) as raised:
        boto3.client("iam").get_role(RoleName="anything")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_the_command_writes_per_folder_and_refuses_bad_input_in_one_sentence(cli: Any) -> None:
    folder = FOREIGN / "cloud-custodian" / "test_credential_sts"
    done = cli("import", "placebo", str(folder))
    assert done.code == 0, done.stderr
    assert "cassettes/test_credential_sts/sts/assume_role.json" in done.stdout
    again = cli("import", "placebo", str(folder))
    assert again.code == 2 and len(again.stderr.strip().splitlines()) == 1
    missing = cli("import", "placebo", "no-such-folder")
    assert missing.code == 2 and "no-such-folder" in missing.stderr
    assert "Traceback" not in again.stderr + missing.stderr


def test_an_empty_string_token_ends_the_chain(tmp_path: Path) -> None:
    """Resource Groups Tagging's GetResources answers its last page with PaginationToken "":
    that is the end, so two files are one two-page chain that a paginator walks to the end."""
    folder = tmp_path / "tagging"

    def page(n: int, token: str) -> dict[str, Any]:
        arn = f"arn:aws:sqs:eu-west-1:210987654321:orders-{n}"
        mapping = [{"ResourceARN": arn, "Tags": [{"Key": "team", "Value": "orders"}]}]
        return {
            "status_code": 200,
            "data": {"ResourceTagMappingList": mapping, "PaginationToken": token},
        }

    _write(folder, "tagging.GetResources_1.json", page(1, "eyJ0b2tlbiI6IDJ9"))
    _write(folder, "tagging.GetResources_2.json", page(2, ""))
    [path] = import_placebo(folder, tmp_path / "out", region="eu-west-1")
    tape = cassette_io.load(path)
    assert len(tape.interactions) == 2 and tape.metadata.pages == 2
    with isolated_environment("eu-west-1"), Tape.load([path]) as replay:
        client = boto3.client("resourcegroupstaggingapi")
        pages = list(client.get_paginator("get_resources").paginate())
        replay.assert_exhausted()
    assert [len(p["ResourceTagMappingList"]) for p in pages] == [1, 1]
    assert pages[-1]["PaginationToken"] == ""


def _volumes_page(ids: list[int], token: str | None) -> dict[str, Any]:
    volumes = [
        {"VolumeId": f"vol-0{i:016x}", "Size": 8, "State": "in-use", "VolumeType": "gp3",
         "AvailabilityZone": "eu-west-1a", "CreateTime": "2024-01-02T03:04:05Z"}
        for i in ids
    ]  # fmt: skip
    data: dict[str, Any] = {"Volumes": volumes}
    if token:
        data["NextToken"] = token
    return {"status_code": 200, "data": data}


def test_one_operation_called_as_two_walks_is_two_chains_replayed_in_order(
    tmp_path: Path,
) -> None:
    """`ec2.DescribeVolumes_1..5`: a 3-page walk whose page 3 has no NextToken, then a 2-page
    walk of the same listing (its tokens the same as the first walk's, as a real account's
    are). `show` names two chains, `pagetape replay` walks both, a test's second walk gets
    the second walk's pages."""
    folder = tmp_path / "vols"
    walks = [([1, 2], "tok-a"), ([3, 4], "tok-b"), ([5], None), ([1, 2], "tok-a"), ([3], None)]
    for n, (ids, token) in enumerate(walks, 1):
        _write(folder, f"ec2.DescribeVolumes_{n}.json", _volumes_page(ids, token))
    [path] = import_placebo(folder, tmp_path / "out", region="eu-west-1")
    tape = cassette_io.load(path)
    assert [row["chain"] for row in summary.page_rows(tape)] == [1, 1, 1, 2, 2]
    text = summary.as_text(tape, str(path))
    assert "2 separate chains of DescribeVolumes" in text
    assert text.index("chain 2:") > text.index("page 3:") > text.index("chain 1:")
    assert not verify([path])[1]
    replayed = replay_chain(path)
    assert (replayed.pages, replayed.chains, len(replayed.items)) == (5, 2, 8)
    with isolated_environment("eu-west-1"), Tape.load([path]) as replay:
        ec2 = boto3.client("ec2")
        got = [
            [len(p["Volumes"]) for p in ec2.get_paginator("describe_volumes").paginate()]
            for _ in range(2)
        ]
        replay.assert_exhausted()
    assert got == [[2, 2, 1], [2, 1]]


def test_separate_one_page_calls_are_separate_chains_answered_in_order(tmp_path: Path) -> None:
    """Three `sns.ListSubscriptionsByTopic_N.json` without a token are three calls (before and
    after a test changed the topic), not a 3-page chain: each call gets its own answer, in
    order, though the request is rebuilt with a placeholder TopicArn (matched by role)."""
    folder = tmp_path / "subs"
    topic = "arn:aws:sns:eu-west-1:210987654321:orders"
    for n in (1, 2, 3):
        subscriptions = [
            {"SubscriptionArn": f"{topic}:0000000{k}-aaaa-bbbb-cccc-dddddddddddd",
             "Owner": "210987654321", "Protocol": "sqs", "TopicArn": topic,
             "Endpoint": f"arn:aws:sqs:eu-west-1:210987654321:orders-{k}"}
            for k in range(n)
        ]  # fmt: skip
        page = {"status_code": 200, "data": {"Subscriptions": subscriptions}}
        _write(folder, f"sns.ListSubscriptionsByTopic_{n}.json", page)
    [path] = import_placebo(folder, tmp_path / "out")
    tape = cassette_io.load(path)
    assert [row["chain"] for row in summary.page_rows(tape)] == [1, 2, 3]
    assert "3 separate chains" in summary.as_text(tape, str(path))
    replayed = replay_chain(path)
    assert (replayed.pages, replayed.chains, len(replayed.items)) == (3, 3, 6)
    with isolated_environment("eu-west-1"), Tape.load([path]) as replay:
        sns = boto3.client("sns")
        mine = "arn:aws:sns:eu-west-1:111122223333:my-topic"
        got = [len(sns.list_subscriptions_by_topic(TopicArn=mine)["Subscriptions"]) for _ in "abc"]
        replay.assert_exhausted()
    assert got == [1, 2, 3]


def _unreadable_folder(folder: Path) -> dict[str, str]:
    """A folder with a good ListRoles and three kinds of unreadable file; returns each file
    that `--skip-unreadable` must name, with a phrase of its reason."""
    role = {"RoleName": "acme-ci", "RoleId": "AROAEXAMPLEID0000001", "Path": "/",
            "Arn": "arn:aws:iam::210987654321:role/acme-ci", "CreateDate": "2024-01-02T03:04:05Z"}  # fmt: skip
    _write(folder, "iam.ListRoles_1.json", {"status_code": 200, "data": {"Roles": [role]}})
    groups = {"status_code": 200, "data": {"AutoScalingGroups": []}}
    _write(folder, "autoscaling.DescribeAutoScalingGroupz_1.json", groups)
    _write(folder, "ec2.DescribeVolumes_1.json", _volumes_page([1], "tok-a"))
    edited = _volumes_page([2], None)
    edited["data"]["Volumes"][0]["CreateTime"] = "yesterday at noon"  # edited by hand
    _write(folder, "ec2.DescribeVolumes_2.json", edited)
    _write(folder, "sns.ListTopics_1.json", '{"status_code": 200, "data": {"Topics": [}')
    return {
        "autoscaling.DescribeAutoScalingGroupz_1.json": "has no operation",
        "ec2.DescribeVolumes_1.json": "skipped with ec2.DescribeVolumes_2.json",
        "ec2.DescribeVolumes_2.json": "is not a timestamp: 'yesterday at noon'",
        "sns.ListTopics_1.json": "is not JSON",
    }


def test_an_unreadable_file_refuses_the_folder_naming_it_and_nothing_is_written(
    tmp_path: Path, cli: Any
) -> None:
    """One hand-edited or misnamed file used to sink the folder with no way round it; it still
    refuses by default (a test would otherwise lose fixtures without anyone noticing), in one
    sentence naming the file, why, and the flag that imports the rest."""
    expected = _unreadable_folder(tmp_path / "in")
    with pytest.raises(CassetteError) as raised:
        import_placebo(tmp_path / "in", tmp_path / "out")
    first = "sns.ListTopics_1.json"  # files are read before their operations are looked up
    message = str(raised.value)
    assert first in message and expected[first] in message and "--skip-unreadable" in message
    assert not (tmp_path / "out").exists()
    done = cli("import", "placebo", "in", "-o", "out")
    assert done.code == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert first in done.stderr and "nothing was written" in done.stderr
    assert not (tmp_path / "out").exists()


def test_skip_unreadable_imports_the_rest_and_names_every_skipped_file(
    tmp_path: Path, cli: Any
) -> None:
    expected = _unreadable_folder(tmp_path / "in")
    done = import_folder(tmp_path / "in", tmp_path / "out", skip_unreadable=True)
    assert [p.relative_to(tmp_path / "out").as_posix() for p in done.written] == [
        "iam/list_roles.json"
    ]
    assert {s.path.name: s.reason for s in done.skipped}.keys() == expected.keys()
    for skipped in done.skipped:
        assert expected[skipped.path.name] in skipped.reason, skipped
    assert not verify(done.written)[1]
    ran = cli("import", "placebo", "in", "-o", "cli-out", "--skip-unreadable")
    assert ran.code == 0, ran.stderr
    assert "wrote cli-out/iam/list_roles.json" in ran.stdout
    for name, reason in expected.items():
        [line] = [line for line in ran.stderr.splitlines() if f"skipped in/{name}:" in line]
        assert reason in line
    assert "skipped 4 files" in ran.stderr and "Traceback" not in ran.stderr
    help_text = cli("import", "placebo", "--help").stdout
    assert "--skip-unreadable" in help_text


def test_a_folder_of_nothing_but_unreadable_files_is_refused_even_when_skipping(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "in", "sns.ListTopics_1.json", "{not json")
    with pytest.raises(CassetteError, match=r"no placebo response could be imported.*not JSON"):
        import_folder(tmp_path / "in", tmp_path / "out", skip_unreadable=True)
    assert not (tmp_path / "out").exists()


def test_an_empty_rest_xml_output_replays_as_botocore_expects_it(tmp_path: Path) -> None:
    """cloud-custodian's s3.GetBucketLocation_1.json is `{"ResponseMetadata": {}}` (a
    us-east-1 bucket: no LocationConstraint). It went back on the wire as an empty body, and
    botocore's GetBucketLocation handler, which parses the XML itself, raised a ParseError
    traceback on replay; S3 always sends the root element."""
    page = {"status_code": 200, "data": {"ResponseMetadata": {}}}
    _write(tmp_path / "in", "s3.GetBucketLocation_1.json", page)
    [path] = import_placebo(tmp_path / "in", tmp_path / "out")
    with isolated_environment("us-east-1"), Tape.load([path]):
        got = boto3.client("s3").get_bucket_location(Bucket="any-bucket")
    assert got.get("LocationConstraint") is None


def test_a_null_in_a_list_is_kept_not_refused(tmp_path: Path) -> None:
    """cloud-custodian's test_dms_marked_for_op holds `"ReplicationInstancePublicIpAddresses":
    [null]`, as DMS answered; it was refused ("should be text, not null")."""
    instance = {"ReplicationInstanceIdentifier": "replication-one",
                "ReplicationInstancePublicIpAddresses": [None],
                "ReplicationInstancePrivateIpAddresses": ["10.0.1.20"]}  # fmt: skip
    page = {"status_code": 200, "data": {"ReplicationInstances": [instance]}}
    _write(tmp_path / "in", "dms.DescribeReplicationInstances_1.json", page)
    [path] = import_placebo(tmp_path / "in", tmp_path / "out")
    assert not verify([path])[1]
    with isolated_environment("us-east-1"), Tape.load([path]):
        [got] = boto3.client("dms").describe_replication_instances()["ReplicationInstances"]
    assert got["ReplicationInstancePublicIpAddresses"] == [None]
    assert got["ReplicationInstancePrivateIpAddresses"] != ["10.0.1.20"]  # sanitized


@pytest.mark.parametrize(
    ("folder", "kept"),
    [
        # an enum's colon part (ec2:spot-fleet-request:TargetCapacity) is the ResourceId's type
        ("test_spot_fleet_request_autoscaling_onhours", "spot-fleet-request/"),
        # a parameter group family is AWS's own (catalogue aws_members), in its Description too
        ("test_rdsparamgroup_modify", "<DBParameterGroupFamily>aurora5.6<"),
        # model member names (DBInstance, TopicArn) are structure, in messages and map keys too
        ("test_rds_restore", "<DBInstance>"),
        ("test_cwe_rule_invalid_targets", "<key>TopicArn</key>"),
    ],
)
def test_public_words_kept_so_the_proof_passes(folder: str, kept: str, tmp_path: Path) -> None:
    """cloud-custodian folders the leak proof refused: the sanitizer faked a public value in one
    place (a resource type, a parameter group family, a member name) and kept it in another, so
    the proof found the original. Public values are kept everywhere: the import writes."""
    written = import_placebo(FOREIGN / "cloud-custodian" / folder, tmp_path)
    assert written
    assert verify(written)[1] == []
    assert any(kept in p.read_text() for p in written)


def test_a_learnt_name_inside_documented_words_is_faked_as_it_is_elsewhere(tmp_path: Path) -> None:
    """cloud-custodian's Lambda `process_resources` has the Handler
    `lambda_function.process_resources`: documented words joined, which free text keeps, so the
    function's name survived there and the leak proof refused the import. The learnt name is
    faked inside it too, with the fake it has everywhere else."""
    [path] = import_placebo(FOREIGN / "cloud-custodian" / "test_cross_account_lambda", tmp_path)
    assert verify([path])[1] == []
    text = path.read_text()
    assert "process_resources" not in text
    with isolated_environment("us-east-1"), Tape.load([path]):
        functions = boto3.client("lambda").list_functions()["Functions"]
    [fn] = [f for f in functions if f["Handler"].startswith("lambda_function.")]
    assert fn["Handler"] == f"lambda_function.{fn['FunctionName']}"
    assert {f["Handler"] for f in functions} >= {"handler.handler"}  # no name in it: kept


def test_a_value_equal_to_a_word_of_pagetapes_own_source_note_is_not_a_leak(
    tmp_path: Path,
) -> None:
    """cloud-custodian's test_datapipeline_delete has a pipeline described "placebo": the
    free-text rule fakes it, and the leak proof then found the word in pagetape's own
    `metadata.source` ("placebo: 2 responses ...") and refused the import. That note is
    pagetape's prose and the fixture's file names, nothing a response holds."""
    written = import_placebo(FOREIGN / "cloud-custodian" / "test_datapipeline_delete", tmp_path)
    [describe] = [p for p in written if p.name == "describe_pipelines.json"]
    tape = json.loads(describe.read_text())
    assert tape["metadata"]["source"].startswith("placebo: 2 responses")
    assert '"placebo"' not in json.dumps(tape["interactions"])  # the description is faked
    assert verify(written)[1] == []
