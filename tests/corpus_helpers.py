"""The moto corpus of issues 8 and 16: an account shaped like a real one, seeded in moto's
server mode across twenty-five services with planted identifying values (which must vanish in
every encoding) and public AWS values (which must survive verbatim), recorded with pagetape and
then measured. This module holds the first ten services and the checks; corpus_more the rest.

`python -m corpus_helpers` (from tests/, or with tests/ on PYTHONPATH) starts its own moto
server, records the corpus into a temporary folder and prints the figures.
"""

from __future__ import annotations

import base64
import functools
import html
import ipaddress
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import botocore.parsers
import botocore.session
import pytest

from helpers import SANDBOX_KEY, encoded_forms
from pagetape.cassette import store as cassette_io
from pagetape.errors import LeakError
from pagetape.record.recording import RecordRequest, plan, record, snake_case
from pagetape.verify.lint import verify_file
from sanitize_helpers import decoded_runs

REGION = "us-east-1"  # ip-…ec2.internal and compute-1.amazonaws.com are us-east-1 names
TAG = "pagetape-corpus"  # every EC2 resource carries it: the corpus filters on it

# ---------------------------------------------------------------- planted identifying values

ACCOUNT = "418296753014"  # the corpus's own moto account: EC2 ownerId, ARNs, queue URLs
ACCOUNT_DASHED = "4182-9675-3014"
SOURCE_ACCOUNT = "731945826013"  # aws:SourceAccount in a trust policy
EMAIL = "zoe@mail.globex.com"
EMAIL_2 = "ops.lead@globex-corp.com"
EMAIL_3 = "billing@initech-payments.com"
PUBLIC_IP = "81.2.69.160"
POLICY_IP = "93.184.216.34"
PRIVATE_IP = "10.217.60.10"  # the first instance's private address
IPV6 = "2a05:d018:1a2b:3c00:4d5e:6f70:8192:a3b4"
INTERNAL_HOST = "db01.corp.example.internal"
CUSTOMER_HOST = "api.globex-payments.com"
EXTERNAL_ID = "ext-5521-zulu-quartz"
DB_PASSWORD = "Tr0ub4dor-prod-db-8812"
API_TOKEN = "tok_live_9f8e7d6c5b4a39281706"
TAG_PASSWORD = "S3cr3t-tag-pass-4471"
TAG_SECRET = "tag-secret-8841-quasar"
TAG_TOKEN = "tag-token-77aa-nimbus"
SSM_SECRET = "ssm-db-pass-Qx81-lumen"
GITHUB_TOKEN = "ghp_" + "4f9Kq2LmN8pR3sT6vW1xY5zA7bC0dE2gH4jJ"
JWT = (
    ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in ({"alg": "HS256", "typ": "JWT"}, {"sub": "user-31337", "email": EMAIL})
    )
    + ".c2lnbmF0dXJlLW9mLWEtcmVhbC1qd3QtZm9yLWdsb2JleA"
)
ROLE_NAME = "globex-payments-deployer"
ROLE_NAME_2 = "globex-ledger-reader"
FUNCTION_NAME = "globex-invoice-mailer"
BUCKET = "globex-prod-ledger-7731"
QUEUE = "globex-orders-fifo-feed"
LOG_GROUP = "/globex/payments/api"
TABLE = "globex-customers"
SECRET_NAME = f"prod/{EMAIL}/stripe"
KEY_NAME = "globex-ops-keypair"
SG_NAME = "globex-db-access"
SG_DESCRIPTION = f"db access for {EMAIL_2}"
# Issue 16: what is customer data without looking like an AWS identifier.
PERSON = "Marta Kowalczyk"
SURNAME = "Kowalczyk"
PHONE = "+48601234567"  # a Polish mobile number, E.164
PHONE_TEXT = "+1 415 555 2671"  # a phone number in free text, as people write it
PHONE_TEXT_NATIONAL = "415 555 2671"
DOC_NUMBER = "PL-AB1234567"  # a national document number
CARD = "4539148803436467"  # Luhn-valid, not one of the published test numbers
CRM_URL = "https://crm.globex-corp.com/contacts/88213"
STREET = "ul. Długa 5"  # non-ASCII: JSON writes it \u0142, so that form is searched too
CITY = "Gdańsk"
ORDERS_TABLE = "customer-orders-eu"
CUSTOMER_KEY = "customer#0"
PAYROLL_BUCKET = "acme-payroll-exports-prod"
PAYROLL_TAIL = "payroll-exports-prod"  # what stayed when only `acme` was faked
ROLE_NAME_3 = "payroll-etl-runner"
SLACK_TEAM, SLACK_CHANNEL, SLACK_SECRET = "T0123ABCD", "B0456EFGH", "x7Qm2Lp9Rt4Wv8Yz1Bc5Df3G"
WEBHOOK = f"https://hooks.slack.com/services/{SLACK_TEAM}/{SLACK_CHANNEL}/{SLACK_SECRET}"
DOC_ACCOUNT = "123456789012"  # AWS's documentation placeholder: fake already, kept
DOC_ROOT = "arn:aws:iam::111122223333:root"  # the IAM documentation's placeholder principal
ENI_REQUESTER = "AIDAIT2UOQQY3AUEMOTO"  # moto's RequesterId of every ENI: an AIDA unique id

IDENTIFYING: dict[str, str] = {
    ACCOUNT: "account id",
    ACCOUNT_DASHED: "account id, dashed",
    SOURCE_ACCOUNT: "account id in a policy",
    EMAIL: "email",
    EMAIL_2: "email",
    EMAIL_3: "email",
    PUBLIC_IP: "IPv4",
    POLICY_IP: "IPv4 in a policy",
    PRIVATE_IP: "private IPv4",
    IPV6: "IPv6",
    INTERNAL_HOST: "internal host name",
    CUSTOMER_HOST: "customer host name",
    EXTERNAL_ID: "sts:ExternalId",
    DB_PASSWORD: "secret-looking key (DB_PASSWORD)",
    API_TOKEN: "secret-looking key (API_TOKEN)",
    TAG_PASSWORD: "tag named password",
    TAG_SECRET: "tag named secret",
    TAG_TOKEN: "tag named token",
    SSM_SECRET: "SecureString value",
    GITHUB_TOKEN: "well-known secret prefix",
    JWT: "JWT",
    ROLE_NAME: "name",
    ROLE_NAME_2: "name",
    FUNCTION_NAME: "name",
    BUCKET: "bucket",
    QUEUE: "name",
    LOG_GROUP: "name",
    TABLE: "name",
    SECRET_NAME: "name holding an email",
    KEY_NAME: "name",
    SG_NAME: "name",
    SG_DESCRIPTION: "free text holding an email",
    "globex": "organisation (email domain, names)",
    PERSON: "person's name (DynamoDB item, Cognito attribute, EventBridge Input)",
    SURNAME: "surname",
    PHONE: "phone number (E.164)",
    PHONE_TEXT: "phone number in free text",
    PHONE_TEXT_NATIONAL: "phone number in free text, national part",
    DOC_NUMBER: "national document number",
    CARD: "card number",
    CRM_URL: "URL in a DynamoDB item",
    STREET: "postal address",
    CITY: "postal address (city)",
    ORDERS_TABLE: "name in a plain-string list (ListTables)",
    CUSTOMER_KEY: "DynamoDB key value",
    PAYROLL_BUCKET: "bucket named in free text",
    PAYROLL_TAIL: "rest of a bucket name in free text",
    ROLE_NAME_3: "name",
    WEBHOOK: "secret in a URL path (Slack webhook)",
    SLACK_TEAM: "secret in a URL path (webhook team)",
    SLACK_CHANNEL: "secret in a URL path (webhook channel)",
    SLACK_SECRET: "secret in a URL path (webhook token)",
    ENI_REQUESTER: "IAM unique id (AIDA)",
}

# ---------------------------------------------------------------- public values

MANAGED_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
TITAN = "amazon.titan-text-lite-v1"
NOVA = "us.amazon.nova-micro-v1:0"


@dataclass
class Recording:
    """One pagetape recording of the corpus and what must hold in the file it writes."""

    name: str
    service: str
    operation: str
    params: dict[str, Any]
    page_size: int | None
    public: list[str] = field(default_factory=list)  # must appear verbatim in the file
    # Parameters only known once moto made the resources (ids of the seed), added at record time.
    seeded: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    path: Path | None = None
    refusal: str | None = None  # the LeakError message, when record refused to write
    raw: str = ""  # the same call made directly with boto3: what the account holds

    @property
    def text(self) -> str:
        return self.path.read_text() if self.path and self.path.exists() else ""

    def tape(self) -> cassette_io.Cassette:
        assert self.path is not None and self.refusal is None, self.refusal
        return cassette_io.load(self.path)


def client(service: str, url: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name=REGION,
        aws_access_key_id=SANDBOX_KEY[0], aws_secret_access_key=SANDBOX_KEY[1],
    )  # fmt: skip


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": SOURCE_ACCOUNT,
                    "sts:ExternalId": EXTERNAL_ID,
                    "aws:PrincipalTag/owner": EMAIL,
                },
                "IpAddress": {"aws:SourceIp": [f"{POLICY_IP}/32", f"{PUBLIC_IP}/32"]},
            },
        }
    ],
}
TRUST_POLICY_PAYROLL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": DOC_ROOT}, "Action": "sts:AssumeRole"}],
}
LOG_MESSAGES = [
    f"GET /v1/invoices from {IPV6} took 31 ms",
    f"connecting to {INTERNAL_HOST}:5432 for account {ACCOUNT_DASHED}",
    f"callback https://{CUSTOMER_HOST}/hooks?user={quote(EMAIL, safe='')} returned 200",
    f"user blob {_b64(EMAIL_3)} decoded",
    f"Authorization: Bearer {JWT}",
    f"invoking {TITAN} then {NOVA} in {REGION}",
    f"leaked token {GITHUB_TOKEN} rotated",
]


def seed(url: str) -> dict[str, Any]:
    """Create the account in moto; returns ids the recordings filter on."""
    ec2 = client("ec2", url)
    vpc = ec2.create_vpc(CidrBlock="10.217.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.217.60.0/24", AvailabilityZone="us-east-1a")
    subnet_id = subnet["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    ec2.create_key_pair(KeyName=KEY_NAME)
    tags = [{"ResourceType": r, "Tags": [{"Key": TAG, "Value": "yes"}, {"Key": "owner", "Value": EMAIL}]} for r in ("instance", "volume", "security-group")]  # fmt: skip
    sg = ec2.create_security_group(
        GroupName=SG_NAME, Description=SG_DESCRIPTION, VpcId=vpc,
        TagSpecifications=[tags[2]],
    )["GroupId"]  # fmt: skip
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
            "IpRanges": [{"CidrIp": f"{PUBLIC_IP}/32", "Description": f"office of {EMAIL_2}"}],
            "Ipv6Ranges": [{"CidrIpv6": f"{IPV6}/128"}],
        }],
    )  # fmt: skip
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instances = []
    for n in range(6):
        run = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", KeyName=KEY_NAME,
            SubnetId=subnet_id, PrivateIpAddress=f"10.217.60.{10 + n}", SecurityGroupIds=[sg],
            TagSpecifications=[tags[0]],
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}],
        )  # fmt: skip
        instances.append(run["Instances"][0]["InstanceId"])
    for n in range(6):
        vol = ec2.create_volume(
            AvailabilityZone="us-east-1a", Size=10 + n, TagSpecifications=[tags[1]]
        )["VolumeId"]
        if n < 3:
            ec2.attach_volume(VolumeId=vol, InstanceId=instances[n], Device="/dev/sdf")

    iam = client("iam", url)
    for name in (ROLE_NAME, ROLE_NAME_2):
        iam.create_role(
            RoleName=name, Path="/globex/", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
            Description=f"deploys for {EMAIL_2}",
        )  # fmt: skip
    for arn in (MANAGED_POLICY, "arn:aws:iam::aws:policy/AWSLambdaExecute"):
        iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=arn)
    iam.create_role(
        RoleName=ROLE_NAME_3, Path="/globex/", Description=f"ETL for {PAYROLL_BUCKET}",
        AssumeRolePolicyDocument=json.dumps(TRUST_POLICY_PAYROLL),
    )  # fmt: skip
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/globex/{ROLE_NAME}"

    lam = client("lambda", url)
    lam.create_function(
        FunctionName=FUNCTION_NAME, Runtime="python3.12", Role=role_arn, Handler="app.handler",
        Code={"ZipFile": _zip()}, Description=f"summarises invoices with {TITAN}",
        Environment={"Variables": {
            "DB_PASSWORD": DB_PASSWORD, "API_TOKEN": API_TOKEN, "DB_HOST": INTERNAL_HOST,
            "MODEL_ID": NOVA, "REPORT_TO": EMAIL, "SLACK_WEBHOOK": WEBHOOK,
        }},
    )  # fmt: skip

    ssm = client("ssm", url)
    for name, value, kind in [
        ("/app/prod/db/host", INTERNAL_HOST, "String"),
        ("/app/prod/db/password", SSM_SECRET, "SecureString"),
        ("/app/prod/model", TITAN, "String"),
        ("/app/prod/alerts/email", EMAIL_2, "String"),
        ("/app/prod/egress/ip", PUBLIC_IP, "String"),
    ]:
        ssm.put_parameter(Name=name, Value=value, Type=kind)

    sm = client("secretsmanager", url)
    sm.create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"key": API_TOKEN}),
        Description=f"stripe key owned by {EMAIL}",
        Tags=[{"Key": "password", "Value": TAG_PASSWORD}, {"Key": "secret", "Value": TAG_SECRET},
              {"Key": "token", "Value": TAG_TOKEN}, {"Key": "team", "Value": "payments"}],
    )  # fmt: skip
    sm.create_secret(Name=f"prod/{EMAIL_3}/ledger", SecretString="x")

    s3 = client("s3", url)
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=PAYROLL_BUCKET)
    for key in [
        f"users/{EMAIL}/token.txt",
        f"users/{EMAIL_2}/avatar.png",
        "list/2024/invoices.csv",
        "list/2024/refunds.csv",
        "keys/rotation.json",
        "keys/archive/2023.json",
        "batch/in/part-0001.csv",
        "reports/2024-01.csv",  # a date in a key name: data of the key's format, kept
        "hosts/10.42.7.19/metrics.json",  # a private address inside a key: faked, stays private
    ]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")

    sqs = client("sqs", url)
    for name in (QUEUE, f"{QUEUE}-dlq", "globex-mail-out"):
        sqs.create_queue(QueueName=name)

    cw = client("cloudwatch", url)
    for instance in instances[:3]:
        cw.put_metric_data(
            Namespace="AWS/EC2",
            MetricData=[{"MetricName": "CPUUtilization", "Value": 12.5, "Unit": "Percent",
                         "Dimensions": [{"Name": "InstanceId", "Value": instance}]}],
        )  # fmt: skip
    cw.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[{"MetricName": "NetworkIn", "Value": 3.0,
                     "Dimensions": [{"Name": "InstanceId", "Value": instances[3]}]}],
    )  # fmt: skip
    cw.put_metric_data(
        Namespace="Globex/Payments",
        MetricData=[{"MetricName": "Latency", "Value": 31.0,
                     "Dimensions": [{"Name": "Host", "Value": INTERNAL_HOST}]}],
    )  # fmt: skip

    logs = client("logs", url)
    now = int(time.time() * 1000)  # moto drops events older than the log group's retention
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=f"i-host/{instances[0]}")
    logs.put_log_events(
        logGroupName=LOG_GROUP, logStreamName=f"i-host/{instances[0]}",
        logEvents=[{"timestamp": now + n, "message": m} for n, m in enumerate(LOG_MESSAGES)],
    )  # fmt: skip

    ddb = client("dynamodb", url)
    ddb.create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    for n, (email, ip) in enumerate([(EMAIL, PUBLIC_IP), (EMAIL_2, POLICY_IP), (EMAIL_3, IPV6)]):
        ddb.put_item(TableName=TABLE, Item={
            "pk": {"S": f"customer#{n}"}, "email": {"S": email}, "account": {"S": ACCOUNT},
            "last_ip": {"S": ip}, "plan": {"S": "enterprise"}, "visits": {"N": str(40 + n)},
            **({"owner": {"S": PERSON}, "tel": {"S": PHONE}, "doc": {"S": DOC_NUMBER},
                "card": {"S": CARD}, "crm_url": {"S": CRM_URL}} if n == 0 else {}),
        })  # fmt: skip
    ddb.create_table(
        TableName=ORDERS_TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
    )  # fmt: skip
    for n in range(3):
        ddb.put_item(TableName=ORDERS_TABLE, Item={
            "pk": {"S": CUSTOMER_KEY}, "sk": {"S": f"order#2024-01-0{n + 1}"},
            "ship_to": {"S": f"{PERSON}, {STREET}, 80-827 {CITY}"}, "phone": {"S": PHONE},
            "total": {"N": f"{120 + n}.50"},
        })  # fmt: skip
    ids = {"instances": instances, "sg": sg, "vpc": vpc, "subnet": subnet_id, "image": image}
    import corpus_more  # imports this module: here, not at the top, so neither is half-loaded

    return {**ids, **corpus_more.seed(url, ids)}


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def recordings() -> list[Recording]:
    """Every recording of the corpus: the first ten services here, the rest in corpus_more."""
    import corpus_more

    ec2_filter = {"Filters": [{"Name": f"tag:{TAG}", "Values": ["yes"]}]}
    # Filter names are schema the code sends (README: filter keys are kept).
    running = {
        "Filters": [
            *ec2_filter["Filters"],
            {"Name": "instance-state-name", "Values": ["running", "pending"]},
        ]
    }
    return [
        Recording("ec2-instances", "ec2", "DescribeInstances", running, 5,
                  ["us-east-1a", "t3.micro", "/dev/sda1", "compute-1.amazonaws.com",
                   "instance-state-name", f"tag:{TAG}"]),
        Recording("ec2-volumes", "ec2", "DescribeVolumes", ec2_filter, 5,
                  ["us-east-1a", "/dev/sdf", "gp2"]),
        Recording("ec2-security-groups", "ec2", "DescribeSecurityGroups", ec2_filter, 5, ["tcp"]),
        Recording("iam-roles", "iam", "ListRoles", {"PathPrefix": "/globex/"}, 1,
                  ["lambda.amazonaws.com", "sts:AssumeRole", "2012-10-17", ":root", DOC_ROOT]),
        Recording("iam-attached", "iam", "ListAttachedRolePolicies", {"RoleName": ROLE_NAME}, 1,
                  [MANAGED_POLICY, "ReadOnlyAccess", "arn:aws:iam::aws:policy/AWSLambdaExecute"]),
        Recording("lambda-functions", "lambda", "ListFunctions", {}, 1,
                  ["python3.12", TITAN, NOVA, "DB_PASSWORD", "API_TOKEN", "SLACK_WEBHOOK"]),
        Recording("ssm-parameters", "ssm", "GetParametersByPath",
                  {"Path": "/app/prod", "Recursive": True, "WithDecryption": True}, 2,
                  [TITAN, "SecureString"]),
        Recording("secrets", "secretsmanager", "ListSecrets", {}, 1, []),
        Recording("s3-objects", "s3", "ListObjectsV2", {"Bucket": BUCKET}, 2,
                  ["STANDARD", ".csv", ".txt", "2024-01.csv"]),
        Recording("sqs-queues", "sqs", "ListQueues", {"QueueNamePrefix": "globex"}, 1, []),
        Recording("cloudwatch-metrics", "cloudwatch", "ListMetrics", {"Namespace": "AWS/EC2"}, None,
                  ["AWS/EC2", "CPUUtilization", "NetworkIn", "InstanceId"]),
        Recording("cloudwatch-custom", "cloudwatch", "ListMetrics",
                  {"Namespace": "Globex/Payments"}, None, []),
        Recording("logs-events", "logs", "FilterLogEvents", {"logGroupName": LOG_GROUP}, 2,
                  [TITAN, NOVA, REGION]),
        # Item values are customer data throughout (issue 16): `enterprise` is no longer public;
        # the attribute names are (checked by position in corpus_more.public_checks).
        Recording("dynamodb-scan", "dynamodb", "Scan", {"TableName": TABLE}, 1,
                  ["crm_url", "visits"]),
        *corpus_more.recordings(),
    ]  # fmt: skip


def identifying() -> dict[str, str]:
    """Every planted identifying value with its class, of both modules."""
    import corpus_more

    return {**IDENTIFYING, **corpus_more.IDENTIFYING}


@contextmanager
def own_account() -> Iterator[None]:
    """moto serves the corpus's own account (fresh backends, apart from every other test), with
    the AWS managed policies loaded; moto reads both per request from this process's env."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        yield


@dataclass
class Corpus:
    recordings: dict[str, Recording]
    planted: dict[str, str]  # identifying value -> category, planted or generated by moto
    leaks: dict[str, list[str]] = field(default_factory=dict, repr=False)  # by recording

    def planted_in(self, rec: Recording) -> dict[str, str]:
        """The identifying values the account really returned to this recording's call."""
        return {v: c for v, c in self.planted.items() if v in rec.raw}


def _raw(url: str, rec: Recording) -> str:
    """What the call sends and returns without pagetape: its parameters and every page, parsed
    by botocore, as JSON."""
    api = client(rec.service, url)
    method = snake_case(rec.operation)
    params = dict(rec.params)
    if api.can_paginate(method):
        config = {"PageSize": rec.page_size} if rec.page_size else {}
        pages = list(api.get_paginator(method).paginate(**params, PaginationConfig=config))
    else:
        pages = [getattr(api, method)(**params)]
    for page in pages:
        page.pop("ResponseMetadata", None)
    return json.dumps([rec.params, *pages], default=str, ensure_ascii=False)


def record_all(url: str, folder: Path) -> Corpus:
    """Seed moto, record every recording with pagetape in-process; a LeakError is a refusal."""
    import corpus_more

    ids = seed(url)
    planted = {**identifying(), **corpus_more.planted_by_moto(url)}
    ec2 = client("ec2", url)
    for r in ec2.describe_instances(Filters=[{"Name": f"tag:{TAG}", "Values": ["yes"]}])[
        "Reservations"
    ]:
        planted[r["ReservationId"]] = "resource id"
        for i in r["Instances"]:
            planted[i["InstanceId"]] = "resource id"
            for key in ("PrivateIpAddress", "PublicIpAddress"):
                planted[i[key]] = "IPv4 (moto)"
            for key in ("PrivateDnsName", "PublicDnsName"):
                planted[i[key]] = "host name (moto)"
    for key in ("sg", "vpc", "subnet"):
        planted[ids[key]] = "resource id"
    planted[SANDBOX_KEY[0]] = "access key id"
    cases = recordings()
    for case in cases:
        if case.seeded is not None:
            case.params = {**case.params, **case.seeded(ids)}
        case.path = folder / f"{case.name}.json"
        case.raw = _raw(url, case)
        request = RecordRequest(
            service=case.service, operation=case.operation,
            params_json=json.dumps(case.params) if case.params else None,
            page_size=case.page_size, region=REGION, endpoint_url=url, output=str(case.path),
            credentials=SANDBOX_KEY,
        )  # fmt: skip
        try:
            record(plan(request))
        except LeakError as exc:
            case.refusal = str(exc)
    return Corpus({c.name: c for c in cases}, planted)


# ---------------------------------------------------------------- reading what was written


@functools.cache
def _model(service: str) -> Any:
    """One loaded service model per service: a few hundred tests read the same cassettes."""
    return botocore.session.get_session().get_service_model(service)


_PAGES: dict[tuple[str, int, int], list[dict[str, Any]]] = {}


def pages_of(rec: Recording) -> list[dict[str, Any]]:
    """Every recorded response body, parsed by botocore's own parser for the service (parsed
    once per written file; callers read them and never change them)."""
    assert rec.path is not None
    stat = rec.path.stat()
    key = (str(rec.path), stat.st_mtime_ns, stat.st_size)
    if key not in _PAGES:
        _PAGES[key] = _parse_pages(rec)
    return _PAGES[key]


def _parse_pages(rec: Recording) -> list[dict[str, Any]]:
    tape = rec.tape()
    model = _model(rec.service)
    op = model.operation_model(rec.operation)
    protocol = tape.metadata.protocol or model.protocol  # the protocol it was recorded with
    parser = botocore.parsers.create_parser(protocol)
    out = []
    for interaction in tape.interactions:
        headers = interaction.response.headers
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        ctype = "application/cbor" if "cbor" in protocol else ctype
        response = {
            "body": _body_bytes(interaction.response.body, ctype),
            "headers": headers,
            "status_code": interaction.response.status,
        }
        out.append(parser.parse(response, op.output_shape))
    return out


def _body_bytes(body: Any, ctype: str) -> bytes:
    """The bytes botocore's parser reads, re-created from the stored body (CBOR included)."""
    try:
        from pagetape.wire.codec import to_bytes
    except ImportError:  # before the codec module: JSON and text bodies only
        return body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return to_bytes(body, ctype)


def walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(member name, value) of every leaf, JSON documents inside strings included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)
    elif isinstance(value, str) and value[:1] in "{[" and value.rstrip()[-1:] in "}]":
        try:
            doc = json.loads(value)
        except ValueError:
            yield key, value
        else:
            yield from walk(doc, key)
    else:
        yield key, value


# ---------------------------------------------------------------- the checks

Check = tuple[str, bool]  # (what was checked, whether it held)


def leak_findings(corpus: Corpus, rec: Recording) -> list[str]:
    """Every planted value found in the written file, in any encoding: plain, in any letter
    case, URL-encoded, JSON- and XML-escaped, base64, base64url, or inside a decoded base64 run
    (searched once per recording: several tests ask)."""
    if rec.name not in corpus.leaks:
        corpus.leaks[rec.name] = _leak_search(corpus, rec)
    return list(corpus.leaks[rec.name])


def _leak_search(corpus: Corpus, rec: Recording) -> list[str]:
    data = rec.text
    lower = data.lower()
    found = []
    for value, category in corpus.planted.items():
        for encoding, form in _forms(value):
            if encoding.startswith("base64"):
                hit = form in data
            else:  # host names and e-mail addresses are case-insensitive: so is the search
                hit = form.lower() in lower
                encoding += "" if not hit or form in data else ", other letter case"
            if hit:
                found.append(f"{category} {value!r} ({encoding})")
    decoded = "\n".join(decoded_runs(data))
    found += [f"{c} {v!r} (decoded)" for v, c in corpus.planted.items()
              if len(v) >= 6 and v in decoded]  # fmt: skip
    return sorted(set(found))


def _forms(value: str) -> list[tuple[str, str]]:
    """(encoding, form) of every way VALUE can be written into a cassette, each form once."""
    forms = {
        "plain": value,
        "JSON-escaped": json.dumps(value)[1:-1],
        "JSON-escaped twice": json.dumps(json.dumps(value)[1:-1])[1:-1],
        "XML-escaped": html.escape(value, quote=False),
        "XML-escaped, quotes too": html.escape(value),
    }
    if not value.isalnum():  # a word only as a word (it may be a piece of some base64 run)
        _, forms["URL-encoded"], forms["base64"], forms["base64url"] = encoded_forms(value)
    first: dict[str, str] = {}
    for name, form in forms.items():
        first.setdefault(form, name)
    return [(name, form) for form, name in first.items()]


def public_checks(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    text = rec.text
    checks: list[Check] = [(f"{v!r} kept", v in text) for v in rec.public]
    leaves = [(k, v) for page in pages for k, v in walk(page)]
    by_key: dict[str, list[Any]] = {}
    for k, v in leaves:
        by_key.setdefault(k, []).append(v)
    expected = {
        "ec2-instances": {
            "Tenancy": "default",
            "InstanceType": "t3.micro",
            "AvailabilityZone": "us-east-1a",
            "RootDeviceName": "/dev/sda1",
        },
        "ec2-volumes": {"AvailabilityZone": "us-east-1a", "Device": "/dev/sdf"},
        "iam-attached": {"PolicyArn": None, "PolicyName": None},
        "cloudwatch-metrics": {"Namespace": "AWS/EC2", "Name": "InstanceId"},
        "lambda-functions": {"Runtime": "python3.12", "MODEL_ID": NOVA},
    }.get(rec.name, {})
    for key, value in expected.items():
        got = by_key.get(key, [])
        if value is None:  # the managed policies of account `aws`
            want = ({MANAGED_POLICY, "arn:aws:iam::aws:policy/AWSLambdaExecute"}
                    if key == "PolicyArn" else {"ReadOnlyAccess", "AWSLambdaExecute"})  # fmt: skip
            checks.append((f"{key} {sorted(want)} kept", set(got) == want))
        else:
            checks.append((f"every {key} is {value!r}", bool(got) and set(got) == {value}))
    if rec.name == "sqs-queues":
        urls = by_key.get("QueueUrls", [])
        checks.append(("queue URLs keep the http scheme",
                       bool(urls) and all(u.startswith("http://") for u in urls)))  # fmt: skip
    if rec.name == "cloudwatch-metrics":
        names = set(by_key.get("MetricName", []))
        checks.append(("AWS/EC2 metric names kept", names == {"CPUUtilization", "NetworkIn"}))
    import corpus_more

    return checks + corpus_more.public_checks(rec, pages)


HEX_IDS = {
    "InstanceId": r"i-[0-9a-f]{17}",
    "VolumeId": r"vol-[0-9a-f]{17}",
    "GroupId": r"sg-[0-9a-f]{17}",
    "ImageId": r"ami-[0-9a-f]{8}(?:[0-9a-f]{9})?",
    "SubnetId": r"subnet-[0-9a-f]{17}",
    "VpcId": r"vpc-[0-9a-f]{17}",
    "NetworkInterfaceId": r"eni-[0-9a-f]{17}",
    "ReservationId": r"r-[0-9a-f]{17}",
    "SnapshotId": r"snap-[0-9a-f]{17}",
    "AttachmentId": r"eni-attach-[0-9a-f]{17}",
    "VpcEndpointId": r"vpce-[0-9a-f]{17}",
    "VpcSecurityGroupId": r"sg-[0-9a-f]{17}",
    "SubnetIdentifier": r"subnet-[0-9a-f]{17}",
}
# Other AWS formats by member name: the prefix says what the value is, the alphabet and
# length what it looks like.
ID_FORMATS = {
    "MacAddress": r"[0-9a-f]{2}(:[0-9a-f]{2}){5}",
    "RoleId": r"AROA[A-Z0-9]{17}",
    "RequesterId": r"AIDA[A-Z0-9]{16}",  # moto's is 20 characters long; AWS's 21
    "AccessKeyId": r"AKIA[A-Z0-9]{16}",
}
FAKE_EMAIL_DOMAIN = re.compile(r"(^|\.)(example(\.(com|net|org))?|invalid|test|localhost)$")


def _rfc1918(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    nets = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
    return any(addr in ipaddress.ip_network(n) for n in nets)


def _ip_ok(value: str) -> bool:
    try:
        ipaddress.ip_interface(value)
    except ValueError:
        return False
    return True


def format_checks(rec: Recording, pages: list[dict[str, Any]]) -> list[Check]:
    checks: list[Check] = []
    for page in pages:
        for key, value in walk(page):
            if not isinstance(value, str):
                continue
            if key in HEX_IDS:
                checks.append((f"{key} {value!r} is {HEX_IDS[key]}",
                               re.fullmatch(HEX_IDS[key], value) is not None))  # fmt: skip
            if key in ID_FORMATS:
                checks.append((f"{key} {value!r} is {ID_FORMATS[key]}",
                               re.fullmatch(ID_FORMATS[key], value) is not None))  # fmt: skip
            if value.startswith("arn:"):
                parts = value.split(":", 5)
                ok = len(parts) == 6 and parts[1] == "aws" and bool(parts[2]) and bool(parts[5])
                ok = ok and re.fullmatch(r"|aws|\d{12}", parts[4]) is not None
                checks.append((f"ARN {value!r} parses", ok))
            if key in ("PrivateIpAddress", "PublicIpAddress", "CidrIp", "CidrIpv6", "CidrBlock"):
                checks.append((f"{key} {value!r} is an address", _ip_ok(value)))
            if key == "PrivateIpAddress" and _ip_ok(value):
                checks.append((f"{key} {value!r} stays private (RFC 1918)", _rfc1918(value)))
            if "@" in value and key not in ("Description", "message"):
                # The domain of the email, wherever it sits (inside a path or an ARN too).
                domain = re.split(r"[/:]", value.rpartition("@")[2])[0]
                checks.append((f"{key} {value!r} has an obviously fake email domain",
                               FAKE_EMAIL_DOMAIN.search(domain) is not None))  # fmt: skip
            if key == "QueueUrls":
                parts = urlsplit(value)
                ok = parts.scheme in ("http", "https") and re.fullmatch(
                    r"/\d{12}/[\w-]+", parts.path) is not None  # fmt: skip
                checks.append((f"queue URL {value!r} keeps scheme, account and name", ok))
        if rec.name == "ec2-instances":
            checks += _dns_checks(page)
    import corpus_more

    return checks + corpus_more.format_checks(rec, pages)


def _dns_checks(page: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for reservation in page.get("Reservations", []):
        for i in reservation["Instances"]:
            private, public = i.get("PrivateIpAddress", ""), i.get("PublicIpAddress", "")
            want = f"ip-{private.replace('.', '-')}.ec2.internal"
            checks.append((f"PrivateDnsName {i.get('PrivateDnsName')!r} is {want!r}",
                           i.get("PrivateDnsName") == want))  # fmt: skip
            want = f"ec2-{public.replace('.', '-')}.compute-1.amazonaws.com"
            checks.append((f"PublicDnsName {i.get('PublicDnsName')!r} is {want!r}",
                           i.get("PublicDnsName") == want))  # fmt: skip
    return checks


@dataclass
class Figures:
    recordings: int = 0
    operations: int = 0
    services: int = 0
    planted: int = 0
    leaks: int = 0
    refusals: int = 0
    public_kept: int = 0
    public_total: int = 0
    formats_kept: int = 0
    formats_total: int = 0
    consistent_kept: int = 0
    consistent_total: int = 0
    verify_findings: int = 0
    details: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"corpus: {self.recordings} recordings from moto server mode, {self.operations} "
            f"paginated operations, {self.services} services",
            f"planted identifying values: {self.planted}",
            f"leaks found (value, file, encoding): {self.leaks}",
            f"refusals (LeakError): {self.refusals}",
            f"public values kept: {self.public_kept}/{self.public_total}",
            f"AWS formats kept: {self.formats_kept}/{self.formats_total}",
            f"one fake per value across operations: {self.consistent_kept}/{self.consistent_total}",
            f"verify findings: {self.verify_findings}",
        ]


def figures(corpus: Corpus) -> Figures:
    import corpus_more

    fig = Figures(len(corpus.recordings))
    fig.operations = len({(r.service, r.operation) for r in corpus.recordings.values()})
    fig.services = len({r.service for r in corpus.recordings.values()})
    fig.planted = len({v for r in corpus.recordings.values() for v in corpus.planted_in(r)})
    for rec in corpus.recordings.values():
        if rec.refusal:
            fig.refusals += 1
            fig.details.append(f"{rec.name}: refused: {rec.refusal}")
            fig.public_total += len(rec.public)  # not written, so not kept
            continue
        found = leak_findings(corpus, rec)
        fig.leaks += len(found)
        fig.details += [f"{rec.name}: leak: {f}" for f in found]
        try:
            pages = pages_of(rec)
        except Exception as exc:  # a body botocore can no longer parse breaks every format
            fig.details.append(f"{rec.name}: unparseable: {exc}")
            pages = []
        for kind, checks in (("public", public_checks(rec, pages)),
                             ("format", format_checks(rec, pages))):  # fmt: skip
            kept = sum(ok for _, ok in checks)
            fig.details += [f"{rec.name}: {kind} broken: {what}" for what, ok in checks if not ok]
            if kind == "public":
                fig.public_kept += kept
                fig.public_total += len(checks)
            else:
                fig.formats_kept += kept
                fig.formats_total += len(checks)
        findings = verify_file(rec.path) if rec.path else []
        fig.verify_findings += len(findings)
        fig.details += [f"{rec.name}: verify: {f}" for f in findings]
    consistent = corpus_more.consistency_checks(corpus)
    fig.consistent_kept = sum(ok for _, ok in consistent)
    fig.consistent_total = len(consistent)
    fig.details += [f"consistency broken: {what}" for what, ok in consistent if not ok]
    return fig


def main() -> None:
    """Record the corpus from a fresh moto server and print the figures and every failure."""
    import socket
    import sys

    from moto.server import ThreadedMotoServer

    from sanitize_helpers import hermetic_env

    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            with hermetic_env(Path(tmp) / "home"), own_account():
                corpus = record_all(f"http://127.0.0.1:{port}", Path(tmp))
                fig = figures(corpus)
        finally:
            server.stop()
    print("\n".join(fig.lines()))
    if "-v" in sys.argv[1:]:
        print("\n".join(fig.details))
    sys.exit(0 if fig.leaks == fig.refusals == fig.verify_findings == 0 else 1)


if __name__ == "__main__":
    import corpus_helpers  # the one copy of this module that corpus_more imports

    corpus_helpers.main()
