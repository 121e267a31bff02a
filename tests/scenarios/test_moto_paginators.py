"""Issue 7, item 5: paginated list operations of many services, recorded from moto in server mode
(real HTTP, an independent AWS emulator), then replayed offline through boto3's paginator and
through a hand-written token loop. The replayed items must equal the live listing except where
pagetape sanitized a value, and every cassette must pass `verify_file` with no findings.

Each test runs in a moto account of its own (see moto_helpers.Account), so listings never see
another test's resources, under pytest-xdist and pytest-randomly alike."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from moto_helpers import (
    Account,
    Chain,
    compare_listing,
    fresh_account,
    items,
    record_live,
    replay_both,
    start_moto_process,
    unique,
    walk_paginator,
)
from pagetape.verify.lint import verify_file

MOTO = tuple(int(n) for n in re.findall(r"\d+", version("moto"))[:3])

pytestmark = pytest.mark.moto

TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
    '"Resource":"arn:aws:s3:::acme-prod-logs/*"}]}'
)


@dataclass
class Setup:
    """What a case created: the call's parameters, how many items the listing holds, and the
    real names that must not survive into the cassette."""

    params: dict[str, Any]
    count: int
    hidden: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    service: str
    operation: str
    page_size: int | None
    chain: Chain
    setup: Callable[[Account], Setup]
    # None: moto honours the page size, pages = ceil(count / page_size) (+1 where DynamoDB
    # ends a full last page with a LastEvaluatedKey). Else the page count moto really returns.
    pages: int | None = None
    # moto's IAM paginator answers a full last page with IsTruncated and one more, empty page.
    empty_page_after_full: bool = False
    marks: tuple[Any, ...] = ()


def _iam_roles(acct: Account) -> Setup:
    iam = acct.client("iam")
    names = [f"payments-api-prod-{i:02d}" for i in range(7)]
    for name in names:
        iam.create_role(Path="/service/payments/", RoleName=name, AssumeRolePolicyDocument=TRUST)
    return Setup({"PathPrefix": "/service/payments/"}, 7, names)


def _iam_users(acct: Account) -> Setup:
    iam = acct.client("iam")
    names = [f"alice.smith{i:02d}" for i in range(7)]
    for name in names:
        iam.create_user(Path="/engineering/", UserName=name)
    return Setup({"PathPrefix": "/engineering/"}, 7, names)


def _iam_attached(acct: Account) -> Setup:
    iam = acct.client("iam")
    role = "payments-api-prod"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    names = [f"acme-s3-read-{i:02d}" for i in range(7)]
    for name in names:
        arn = iam.create_policy(PolicyName=name, PolicyDocument=POLICY)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    return Setup({"RoleName": role}, 7, [role, *names])


S3_KEYS = [f"app/2024/05/{day:02d}/web-{day:02d}.log.gz" for day in range(1, 8)]


def _bucket(acct: Account, versioned: bool = False) -> str:
    s3 = acct.client("s3")
    bucket = unique("acme-prod-logs")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def _s3_objects(acct: Account) -> Setup:
    s3 = acct.client("s3")
    bucket = _bucket(acct)
    for key in S3_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"GET /checkout 200\n")
    return Setup({"Bucket": bucket}, 7, [bucket])


def _s3_versions(acct: Account) -> Setup:
    s3 = acct.client("s3")
    bucket = _bucket(acct, versioned=True)
    for key in S3_KEYS[:4]:
        for body in (b"v1\n", b"v2\n"):
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    return Setup({"Bucket": bucket}, 8, [bucket])


def _zones(acct: Account) -> Setup:
    r53 = acct.client("route53")
    names = [f"payments-{i:02d}.acme-corp.com." for i in range(7)]
    for name in names:
        r53.create_hosted_zone(Name=name, CallerReference=unique("pagetape"))
    return Setup({}, 7, [n.rstrip(".") for n in names])


def _record_sets(acct: Account) -> Setup:
    r53 = acct.client("route53")
    zone = "shop.acme-corp.com."
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=unique("pagetape"))
    zone_id = zone_id["HostedZone"]["Id"].split("/")[-1]
    records = [
        ("api.shop.acme-corp.com.", "A", "52.94.236.10"),
        ("api.shop.acme-corp.com.", "TXT", '"v=spf1 include:_spf.acme-corp.com ~all"'),
        ("cdn.shop.acme-corp.com.", "CNAME", "d111111abcdef8.cloudfront.net"),
        ("db.shop.acme-corp.com.", "A", "52.94.236.25"),
        ("mail.shop.acme-corp.com.", "MX", "10 mx1.acme-corp.com"),
        ("www.shop.acme-corp.com.", "A", "52.94.236.11"),
        ("www.shop.acme-corp.com.", "AAAA", "2001:db8::11"),
    ]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": name,
                "Type": kind,
                "TTL": 300,
                "ResourceRecords": [{"Value": value}],
            },
        }
        for name, kind, value in records
    ]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    # moto adds the zone's SOA and NS records: 9 record sets.
    return Setup({"HostedZoneId": zone_id}, 9, ["acme-corp", "52.94.236.10"])


def _table(acct: Account, name: str, sort_key: bool = False) -> None:
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": "S"})
    acct.client("dynamodb").create_table(
        TableName=name, KeySchema=keys, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST"
    )


def _ddb_scan(acct: Account) -> Setup:
    ddb = acct.client("dynamodb")
    _table(acct, "orders-prod")
    emails = [f"jane.doe{i}@acme-corp.com" for i in range(7)]
    for i, email in enumerate(emails):
        ddb.put_item(
            TableName="orders-prod",
            Item={
                "pk": {"S": f"order#{4411 + i}"},
                "email": {"S": email},
                "total": {"N": f"{19.5 + i}"},
                "paid": {"BOOL": i % 2 == 0},
            },
        )
    return Setup({"TableName": "orders-prod"}, 7, ["orders-prod", *emails])


def _ddb_query(acct: Account) -> Setup:
    ddb = acct.client("dynamodb")
    _table(acct, "orders-prod", sort_key=True)
    for i in range(7):
        ddb.put_item(
            TableName="orders-prod",
            Item={
                "pk": {"S": "customer#8812"},
                "sk": {"S": f"order#2024-05-{i + 1:02d}"},
                "email": {"S": "jane.doe@acme-corp.com"},
                "total": {"N": f"{42 + i}"},
            },
        )
    ddb.put_item(TableName="orders-prod", Item={"pk": {"S": "customer#9999"}, "sk": {"S": "x"}})
    params = {
        "TableName": "orders-prod",
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "customer#8812"}},
    }
    return Setup(params, 7, ["orders-prod", "jane.doe@acme-corp.com"])


def _ddb_tables(acct: Account) -> Setup:
    names = [f"orders-prod-{i}" for i in range(7)]
    for name in names:
        _table(acct, name)
    return Setup({}, 7, names)


def _vpc(acct: Account) -> str:
    return str(acct.client("ec2").create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"])


def _ec2_instances(acct: Account) -> Setup:
    ec2 = acct.client("ec2")
    for i in range(11):  # MaxResults is at least 5 for DescribeInstances
        ec2.run_instances(
            ImageId="ami-12c6146b",
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "Name", "Value": f"web-prod-{i:02d}"}],
                }
            ],
        )
    return Setup({}, 11, ["web-prod-00"])


def _ec2_subnets(acct: Account) -> Setup:
    ec2 = acct.client("ec2")
    vpc = _vpc(acct)
    for i in range(11):
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone="eu-west-1a")
    return Setup({"Filters": [{"Name": "vpc-id", "Values": [vpc]}]}, 11, [vpc])


def _ec2_groups(acct: Account) -> Setup:
    ec2 = acct.client("ec2")
    vpc = _vpc(acct)
    names = [f"payments-api-sg-{i:02d}" for i in range(10)]
    for name in names:
        ec2.create_security_group(GroupName=name, Description=f"{name} ingress", VpcId=vpc)
    # plus the VPC's default group: 11
    return Setup({"Filters": [{"Name": "vpc-id", "Values": [vpc]}]}, 11, [vpc, *names])


def _sqs(acct: Account) -> Setup:
    sqs = acct.client("sqs")
    names = [f"acme-orders-prod-{i:02d}" for i in range(7)]
    for name in names:
        sqs.create_queue(QueueName=name)
    return Setup({"QueueNamePrefix": "acme-orders"}, 7, names)


SSM_NAMES = ["db-url", "db-user", "db-password", "redis-url", "stripe-key", "sentry-dsn", "region"]


def _ssm_params(acct: Account) -> list[str]:
    ssm = acct.client("ssm")
    values = [
        "postgres://orders.cluster-c1x2y3.eu-west-1.rds.amazonaws.com:5432/orders",
        "orders_app",
        "hunter2-Xk9q",
        "redis://10.20.3.17:6379/0",
        "sk_live_51H8s0eLkdIwHu7ix",
        "https://f3a1b2c3@o12345.ingest.sentry.io/67890",
        "eu-west-1",
    ]
    for name, value in zip(SSM_NAMES, values, strict=True):
        kind = "SecureString" if "password" in name or "key" in name else "String"
        ssm.put_parameter(Name=f"/app/prod/{name}", Value=value, Type=kind)
    ssm.put_parameter(Name="/app/staging/db-url", Value="x", Type="String")
    return values


def _ssm_describe(acct: Account) -> Setup:
    _ssm_params(acct)
    params = {"ParameterFilters": [{"Key": "Path", "Option": "Recursive", "Values": ["/app/prod"]}]}
    return Setup(params, 7, ["/app/prod/db-url", "/app/prod/stripe-key"])


def _ssm_path(acct: Account) -> Setup:
    values = _ssm_params(acct)
    return Setup({"Path": "/app/prod"}, 7, [v for v in values if v != "eu-west-1"])


def _metrics(acct: Account) -> Setup:
    cw = acct.client("cloudwatch")
    # moto ignores nothing here: ListMetrics has no page-size parameter, moto pages at 500.
    for start in (0, 500, 1000):
        cw.put_metric_data(
            Namespace="Acme/Payments",
            MetricData=[
                {
                    "MetricName": "CheckoutLatency",
                    "Dimensions": [{"Name": "Service", "Value": f"payments-api-{i:04d}"}],
                    "Value": 1.0,
                }
                for i in range(start, min(start + 500, 1001))
            ],
        )
    return Setup({"Namespace": "Acme/Payments"}, 1001, ["payments-api-0001"])


def _alarms(acct: Account) -> Setup:
    cw = acct.client("cloudwatch")
    names = [f"payments-api-5xx-{i:02d}" for i in range(7)]
    for name in names:
        cw.put_metric_alarm(
            AlarmName=name,
            MetricName="5XXError",
            Namespace="AWS/ApiGateway",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=5.0,
            ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "ApiName", "Value": "payments-api"}],
        )
    return Setup({}, 7, names)


def _log_groups(acct: Account) -> Setup:
    logs = acct.client("logs")
    names = [f"/ecs/payments-api-{i:02d}" for i in range(7)]
    for name in names:
        logs.create_log_group(logGroupName=name)
    return Setup({"logGroupNamePrefix": "/ecs/payments"}, 7, names)


def _log_events(acct: Account) -> Setup:
    logs = acct.client("logs")
    group, stream = "/ecs/payments-api", "web/payments-api/4f1c2b9e"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    # CloudWatch Logs refuses events older than 14 days: stamp them relative to now.
    start = int(time.time() * 1000) - 60_000
    events = [
        {
            "timestamp": start + i * 1000,
            "message": f"POST /checkout 200 client=52.94.76.{20 + i} user=jane.doe{i}@acme-corp.com",
        }
        for i in range(7)
    ]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    return Setup({"logGroupName": group}, 7, [group, "jane.doe0@acme-corp.com", "52.94.76.20"])


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return 'ok'\n")
    return buf.getvalue()


def _functions(acct: Account) -> Setup:
    iam, fn = acct.client("iam"), acct.client("lambda")
    role = iam.create_role(RoleName="payments-lambda", AssumeRolePolicyDocument=TRUST)
    code = _zip()
    names = [f"payments-webhook-{i:02d}" for i in range(7)]
    for name in names:
        fn.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": code},
        )
    return Setup({}, 7, names)


def _secrets(acct: Account) -> Setup:
    sm = acct.client("secretsmanager")
    names = [f"prod/payments/db-password-{i:02d}" for i in range(7)]
    for name in names:
        sm.create_secret(Name=name, SecretString="hunter2-Xk9q")
    return Setup({}, 7, names)


def _kms(acct: Account) -> Setup:
    kms = acct.client("kms")
    ids = [kms.create_key(Description="payments")["KeyMetadata"]["KeyId"] for _ in range(7)]
    return Setup({}, 7, ids)


def _topics(acct: Account) -> Setup:
    sns = acct.client("sns")
    names = [f"acme-order-events-{i:03d}" for i in range(201)]
    for name in names:
        sns.create_topic(Name=name)
    return Setup({}, 201, names[:3])


def _ecr(acct: Account) -> Setup:
    ecr = acct.client("ecr")
    names = [f"acme/payments-api-{i:02d}" for i in range(7)]
    for name in names:
        ecr.create_repository(repositoryName=name)
    return Setup({}, 7, names)


def _bug(reason: str) -> Any:
    """A known pagetape defect: remove the mark when the fix lands (strict: an XPASS fails)."""
    return pytest.mark.xfail(reason=reason, strict=True)


def _chain(keys: str, tokens: dict[str, str], limit: str | None, more: str | None = None) -> Chain:
    return Chain(tuple(keys.split()), tokens, limit, more)


NEXT = {"NextToken": "NextToken"}
next_ = {"nextToken": "nextToken"}
IAM_MARKER = {"Marker": "Marker"}

CASES: dict[str, Case] = {
    "iam-list-roles": Case(
        "iam",
        "ListRoles",
        3,
        _chain("Roles", IAM_MARKER, "MaxItems", "IsTruncated"),
        _iam_roles,
    ),
    "iam-list-users": Case(
        "iam",
        "ListUsers",
        3,
        _chain("Users", IAM_MARKER, "MaxItems", "IsTruncated"),
        _iam_users,
        pages=1,  # moto ignores MaxItems and Marker of ListUsers: one page, IsTruncated false
    ),
    "iam-list-attached-role-policies": Case(
        "iam",
        "ListAttachedRolePolicies",
        3,
        _chain("AttachedPolicies", IAM_MARKER, "MaxItems", "IsTruncated"),
        _iam_attached,
    ),
    "s3-list-objects": Case(
        "s3",
        "ListObjects",
        3,
        _chain(
            "Contents CommonPrefixes",
            {"Marker": "NextMarker || Contents[-1].Key"},
            "MaxKeys",
            "IsTruncated",
        ),
        _s3_objects,
    ),
    "s3-list-objects-v2": Case(
        "s3",
        "ListObjectsV2",
        3,
        _chain(
            "Contents CommonPrefixes", {"ContinuationToken": "NextContinuationToken"}, "MaxKeys"
        ),
        _s3_objects,
    ),
    "s3-list-object-versions": Case(
        "s3",
        "ListObjectVersions",
        3,
        _chain(
            "Versions DeleteMarkers CommonPrefixes",
            {"KeyMarker": "NextKeyMarker", "VersionIdMarker": "NextVersionIdMarker"},
            "MaxKeys",
            "IsTruncated",
        ),
        _s3_versions,
    ),
    "route53-list-hosted-zones": Case(
        "route53",
        "ListHostedZones",
        3,
        _chain("HostedZones", {"Marker": "NextMarker"}, "MaxItems", "IsTruncated"),
        _zones,
    ),
    "route53-list-resource-record-sets": Case(
        "route53",
        "ListResourceRecordSets",
        3,
        _chain(
            "ResourceRecordSets",
            {
                "StartRecordName": "NextRecordName",
                "StartRecordType": "NextRecordType",
                "StartRecordIdentifier": "NextRecordIdentifier",
            },
            "MaxItems",
            "IsTruncated",
        ),
        _record_sets,
    ),
    "dynamodb-scan": Case(
        "dynamodb",
        "Scan",
        3,
        _chain("Items", {"ExclusiveStartKey": "LastEvaluatedKey"}, "Limit"),
        _ddb_scan,
    ),
    "dynamodb-query": Case(
        "dynamodb",
        "Query",
        3,
        _chain("Items", {"ExclusiveStartKey": "LastEvaluatedKey"}, "Limit"),
        _ddb_query,
    ),
    "dynamodb-list-tables": Case(
        "dynamodb",
        "ListTables",
        3,
        _chain("TableNames", {"ExclusiveStartTableName": "LastEvaluatedTableName"}, "Limit"),
        _ddb_tables,
    ),
    "ec2-describe-instances": Case(
        "ec2",
        "DescribeInstances",
        5,
        _chain("Reservations", NEXT, "MaxResults"),
        _ec2_instances,
    ),
    "ec2-describe-subnets": Case(
        "ec2",
        "DescribeSubnets",
        5,
        _chain("Subnets", NEXT, "MaxResults"),
        _ec2_subnets,
        pages=1,  # moto ignores MaxResults of DescribeSubnets: one page, no NextToken
    ),
    "ec2-describe-security-groups": Case(
        "ec2",
        "DescribeSecurityGroups",
        5,
        _chain("SecurityGroups", NEXT, "MaxResults"),
        _ec2_groups,
        pages=1,  # moto ignores MaxResults of DescribeSecurityGroups: one page, no NextToken
    ),
    "sqs-list-queues": Case(
        "sqs",
        "ListQueues",
        3,
        _chain("QueueUrls", NEXT, "MaxResults"),
        _sqs,
        pages=None if MOTO >= (5, 2, 4) else 1,  # moto before 5.2.4 ignores MaxResults here
    ),
    "ssm-describe-parameters": Case(
        "ssm",
        "DescribeParameters",
        3,
        _chain("Parameters", NEXT, "MaxResults"),
        _ssm_describe,
        # moto ignores MaxResults when ParameterFilters are given: one page of 7.
        pages=1,
    ),
    "ssm-get-parameters-by-path": Case(
        "ssm",
        "GetParametersByPath",
        3,
        _chain("Parameters", NEXT, "MaxResults"),
        _ssm_path,
    ),
    "cloudwatch-list-metrics": Case(
        "cloudwatch",
        "ListMetrics",
        None,
        _chain("Metrics OwningAccounts", NEXT, None),
        _metrics,
        pages=3,
        marks=(pytest.mark.slow,),
    ),
    "cloudwatch-describe-alarms": Case(
        "cloudwatch",
        "DescribeAlarms",
        3,
        _chain("MetricAlarms CompositeAlarms", NEXT, "MaxRecords"),
        _alarms,
        pages=1,  # moto ignores MaxRecords of DescribeAlarms: one page, no NextToken
    ),
    "logs-describe-log-groups": Case(
        "logs", "DescribeLogGroups", 3, _chain("logGroups", next_, "limit"), _log_groups
    ),
    "logs-filter-log-events": Case(
        "logs", "FilterLogEvents", 3, _chain("events", next_, "limit"), _log_events
    ),
    "lambda-list-functions": Case(
        "lambda",
        "ListFunctions",
        3,
        _chain("Functions", {"Marker": "NextMarker"}, "MaxItems"),
        _functions,
        pages=1,  # moto ignores MaxItems of ListFunctions: one page, no NextMarker
    ),
    "secretsmanager-list-secrets": Case(
        "secretsmanager", "ListSecrets", 3, _chain("SecretList", NEXT, "MaxResults"), _secrets
    ),
    "kms-list-keys": Case(
        "kms",
        "ListKeys",
        3,
        _chain("Keys", {"Marker": "NextMarker"}, "Limit", "Truncated"),
        _kms,
        pages=1,  # moto ignores Limit of ListKeys: one page, Truncated false
    ),
    "sns-list-topics": Case(
        # ListTopics has no page-size parameter; moto pages at 100, so 201 topics make 3 pages.
        "sns",
        "ListTopics",
        None,
        _chain("Topics", NEXT, None),
        _topics,
        pages=3,
        marks=(pytest.mark.slow,),
    ),
    "ecr-describe-repositories": Case(
        "ecr",
        "DescribeRepositories",
        3,
        _chain("repositories", next_, "maxResults"),
        _ecr,
        pages=1,  # moto ignores maxResults of DescribeRepositories: one page, no nextToken
    ),
}


def _expected_pages(case: Case, setup: Setup) -> int:
    if case.pages is not None:
        return case.pages
    assert case.page_size is not None
    extra = case.empty_page_after_full and setup.count % case.page_size == 0
    return math.ceil(setup.count / case.page_size) + extra


def round_trip(case: Case, acct: Account, out: Path) -> None:
    """Create, record, list live, verify, replay both ways, compare."""
    setup = case.setup(acct)
    result = record_live(acct, case.service, case.operation, out, case.page_size, setup.params)
    live_client = acct.client(case.service)
    live = walk_paginator(live_client, case.operation, setup.params, case.page_size)
    keys = case.chain.result_keys
    assert len(items(live, keys)) == setup.count, "the live listing holds what the test created"
    assert len(live) == _expected_pages(case, setup)
    assert (result.pages, result.items) == (len(live), setup.count)

    assert verify_file(out) == []
    text = out.read_text()
    leaked = [name for name in setup.hidden if name in text]
    assert not leaked, f"real names in the cassette: {leaked}"

    by_paginator, by_hand = replay_both(out, case.operation, case.chain, case.page_size)
    shape = live_client.meta.service_model.operation_model(case.operation).output_shape
    for how, replayed in (("paginator", by_paginator), ("hand loop", by_hand)):
        cmp = compare_listing(live, replayed, shape, keys)
        assert not cmp.problems, f"{how}: " + "\n".join(cmp.problems[:20])
        if setup.hidden:
            assert cmp.fakes, f"{how}: nothing was sanitized"


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=case.marks) for name, case in CASES.items()]
)
def test_paginated_round_trip(name: str, moto_url: str, tmp_path: Path) -> None:
    round_trip(CASES[name], fresh_account(moto_url), tmp_path / f"{name}.json")


# -- IAM ListPolicies Scope=AWS: moto loads AWS managed policies only with
# MOTO_IAM_LOAD_MANAGED_POLICIES=true, read when an account's IAM backend is created. moto's
# backends are process-wide, so a second in-process server would share the session server's
# state; this one runs in a child process with the setting in its environment.


@pytest.fixture(scope="module")
def moto_managed_policies_url() -> Iterator[str]:
    from conftest import _free_port

    with start_moto_process(_free_port(), {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}) as server:
        yield server.url


def _aws_policies(acct: Account) -> Setup:
    # /job-function/ holds 15 AWS managed policies (moto 5.2): four pages of 4.
    iam = acct.client("iam")
    found = iam.list_policies(Scope="AWS", PathPrefix="/job-function/")["Policies"]
    assert found, "moto did not load the AWS managed policies"
    return Setup({"Scope": "AWS", "PathPrefix": "/job-function/"}, len(found), [])


def test_iam_list_policies_aws_scope(moto_managed_policies_url: str, tmp_path: Path) -> None:
    case = Case(
        "iam",
        "ListPolicies",
        4,
        _chain("Policies", IAM_MARKER, "MaxItems", "IsTruncated"),
        _aws_policies,
        empty_page_after_full=True,
    )
    acct = fresh_account(moto_managed_policies_url)
    round_trip(case, acct, tmp_path / "iam-list-policies.json")
