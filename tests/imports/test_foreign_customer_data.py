"""Real public placebo folders where AWS puts customer data (tests/data/foreign/placebo, see
SOURCES.md), imported as a user would (`pagetape import placebo DIR`).

Nobody on the project designed these files, so they show what default-deny sanitization must
do on data as AWS returns it: Organizations accounts, SNS email subscriptions, IAM users, keys
and credential reports, Route 53 records and domain contacts, CloudFormation parameters, ECS
task environments, Lambda code URLs, Glue JDBC connections, DynamoDB items, QuickSight users,
Secrets Manager versions, RDS endpoints, KMS aliases, ECR images, EC2 instances, SSM command
output and launch-configuration user data. For each folder the values read off the files by
hand are checked: every identifying one is gone from the cassettes in every encoding, AWS's own
values and formats are kept, nothing is refused, the cassettes verify clean, and `verify` on
the raw files names every identifying value.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from helpers import encoded_forms
from pagetape.imports.placebo import import_placebo
from pagetape.verify.lint import Finding, verify_file

PLACEBO = Path(__file__).parents[1] / "data" / "foreign" / "placebo"
SOURCES = PLACEBO.parent / "SOURCES.md"


@dataclass(frozen=True)
class Fixture:
    """One copied placebo folder and what a reader finds in it."""

    folder: str  # under tests/data/foreign/placebo
    holds: str  # the customer data classes, for the reader of a failure
    identifying: tuple[str, ...]  # must leave in every encoding and be named by verify
    public: tuple[str, ...]  # AWS's own values: must be kept verbatim
    formats: tuple[str, ...] = ()  # regexes some string of the output must match

    def __str__(self) -> str:
        return self.folder


ACCOUNT = "644160558196"  # cloud-custodian's recording account
PRIVATE_IP = r"^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)\d{1,3}\.\d{1,3}(\.\d{1,3})?$"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
FAKE_EMAIL = r"^[^@\s]+@[^@\s]+\.example$"  # what a fake e-mail is, not what the original was
FAKES_ONLY = {FAKE_EMAIL}

FIXTURES = [
    Fixture(
        "cloud-custodian/test_org_account_describe",
        "Organizations ListAccounts: member account e-mail, a person's name in the account "
        "name, organization id; tagging GetResources: free-text tag value",
        (ACCOUNT, "sandbox-kapil@stacklet.io", "Sandbox-Kapil", "kapil", "stacklet.io",
         "o-r2x4ytpwhl", "TheOriginalTim"),
        ("ACTIVE", "CREATED", "i-am", "arn:aws:organizations::"),
        (r"^arn:aws:organizations::\d{12}:account/o-[a-z0-9]{10,32}/\d{12}$",),
    ),
    Fixture(
        "cloud-custodian/test_subscription_delete",
        "SNS ListSubscriptions (NextToken chain): e-mail endpoint, subscription id, token",
        ("test@test.com", "a72e3629-67d2-4f9f-bf54-f8cecf38a114",
         "AAHzN8s/tt6VglGOMISokVWAgS8MkssMztzRcuigQF4AIg=="),
        ("123456789012", "email", "us-east-1"),  # 123456789012: AWS's documentation account
        (FAKE_EMAIL,),
    ),
    Fixture(
        "cloud-custodian/test_iam_access_key_list",
        "IAM ListUsers, ListAccessKeys: people's user names (first.last), access key ids, "
        "unique user id",
        (ACCOUNT, "kapil", "faizan.ahmed", "faizan", "ahmed", "AKIAI5PSD5WUP3AO2OPA",
         "AKIAZL6XWCR2EAE3M5WG", "AIDAJEZOTH6YPO3DY45QW"),
        ("Active", "arn:aws:iam::"),
        (r"^AIDA[A-Z0-9]{17}$", r"^AKIA[A-Z0-9]{16}$"),
    ),
    Fixture(
        "cloud-custodian/test_iam_user_credential_multi_delete_noop",
        "IAM GetCredentialReport (CSV report as placebo wrote it before bytes were base64), "
        "AWS Config SelectResourceConfig (JSON documents in strings), ListAccessKeys",
        (ACCOUNT, "AIDAY5Y4D45RPP4IHNEMR", "AKIAY5Y4D45RM747RB4P", "AKIAY5Y4D45RLQZNWRQL"),
        ("<root_account>", "user,arn,user_creation_time,password_enabled", "not_supported",
         "no_information", "text/csv", "COMPLETE", "Inactive"),
        (r"arn:aws:iam::\d{12}:root", r"\bAIDA[A-Z0-9]{17}\b"),
    ),
    Fixture(
        "cloud-custodian/test_r53_resourcerecordset_remove",
        "Route 53 ListHostedZones, ListResourceRecordSets, ChangeResourceRecordSets: hosted "
        "zone and change ids, a VPC endpoint alias target, AWS name servers and SOA",
        ("Z0703663WE3WTQ3FAPIF", "C0028923170KHKBOZN21G", "vpce-12345abcdefgh-mxpozkdy"),
        ("ns-1536.awsdns-00.co.uk.", "ns-0.awsdns-00.com.", "ns-1024.awsdns-00.org.",
         "ns-512.awsdns-00.net.", "awsdns-hostmaster.amazon.com.", "1 7200 900 1209600 86400",
         "Z1YSA3EXCYUU9Z", ".us-west-2.vpce.amazonaws.com.", "subdomain.example.com.", "CNAME",
         "SOA"),
    ),
    Fixture(
        "cloud-custodian/test_route53_domain_add_tag",
        "Route 53 Domains GetDomainDetail: registrant, admin, tech and billing contacts (name, "
        "street address, city, phone, e-mail), the domain; AWS's registrar, whois and abuse "
        "contact, awsdns name servers, EPP statuses",
        ("c7n-test.com", "c7n-test", "Custodian", "1234 Compliance Circle", "Compliance Circle",
         "Governance", "finops@gmail.com", "+1.1234567890", "TestValue"),
        ("ns-59.awsdns-07.com", "ns-814.awsdns-37.net", "ns-1574.awsdns-04.co.uk",
         "ns-1256.awsdns-29.org", "Amazon Registrar, Inc.", "whois.registrar.amazon",
         "http://registrar.amazon.com", "trustandsafety@support.aws.com", "addPeriod", "PERSON",
         "TestTag"),
        (r"^\+1\.\d{10}$",),
    ),
    Fixture(
        "cloud-custodian/test_cfn_add_tag_w_params",
        "CloudFormation DescribeStacks, UpdateStack: stack name and id, Parameters, tags",
        (ACCOUNT, "mosdef2", "387d82a0-23f5-11e9-98e5-128a65397f5a"),
        ("m1.small", "UserName", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", "NOT_CHECKED",
         "User Initiated"),
        (rf"^arn:aws:cloudformation:us-east-1:\d{{12}}:stack/[^/]+/{UUID}$",),
    ),
    Fixture(
        "cloud-custodian/test_ecs_service_update_definition",
        "ECS DescribeTaskDefinition, RegisterTaskDefinition, DescribeServices, UpdateService: "
        "container environment and secrets (SSM parameter ARNs), ECR image URI and tag, "
        "assumed-role session, network ids; Cost Optimization Hub: a base64 recommendation id "
        "holding another account id",
        (ACCOUNT, "880584957794", "2edc2715-d105-40fb-9f48-76bf1f865fad", "dev-redash",
         "stacklet-redash", "842a0206d43c0eb4a69cb31d6debdb52a46cb9e7", "stacklet-auth",
         "stacklet-deployer", "atlantis-terraform", "srv-bzzz6xsmtwv5uap7", "608e176bc37cd1d3",
         "5377507045281168538", "subnet-0b829c7f54fd00883", "sg-037c67c516127610d",
         "/dev/redash/cookie_secret"),
        ("REDASH_COOKIE_SECRET", "REDASH_JWT_AUTH_COOKIE_NAME", "SQLALCHEMY_DB_SCHEMA",
         "AWS_PARTITION", ".dkr.ecr.us-east-1.amazonaws.com/", "AWSServiceRoleForECS",
         "ecs.amazonaws.com", "FARGATE", "awsvpc", "awslogs", "awslogs-stream-prefix",
         "com.amazonaws.ecs.capability.task-iam-role",
         "ecs.capability.secrets.ssm.environment-variables", "Rightsize", "EcsService",
         "ComputeOptimizer", "us-east-2"),
        (r"^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com/",
         r"^arn:aws:sts::\d{12}:assumed-role/[^/]+/[^/]+$"),
    ),
    Fixture(
        "cloud-custodian/test_lambda_kms_key_filter",
        "Lambda ListFunctions (Environment, KMS key, role); KMS ListAliases, ListKeys, "
        "DescribeKey: customer alias, key id, free-text description",
        (ACCOUNT, "36812ccf-daaf-49b1-a24b-0eef254ffe41", "sphere12", "skunk/trails", "Skunk",
         "4ce18eaf-7e19-4446-b8b4-fe773a79379f", "k33TggGtygLrDDrEecfHuvfuVd+6bRxCFv7lErxWOJ0="),
        ("nodejs12.x", "$LATEST", "PassThrough", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT",
         "AWS_KMS", "CUSTOMER"),
        (r"^alias/", r"^arn:aws:kms:us-east-1:\d{12}:alias/"),
    ),
    Fixture(
        "cloud-custodian/test_connection_password_hidden",
        "Glue GetConnections: JDBC URL with an RDS host, USERNAME, subnet and security group",
        (ACCOUNT, "database-3-instance-1", "cz6wy8cci3uf", "subnet-3a334610", "sg-6c7fa917",
         "admin"),
        ("jdbc:mysql://", ".us-east-1.rds.amazonaws.com:3306/", "JDBC_CONNECTION_URL",
         "JDBC_ENFORCE_SSL", "USERNAME", "JDBC", "us-east-1d"),
        (r"^jdbc:mysql://[a-z0-9-]+\.[a-z0-9]{12}\.us-east-1\.rds\.amazonaws\.com:3306/",),
    ),
    Fixture(
        "cloud-custodian/test_quicksight_user_delete",
        "QuickSight ListUsers, DescribeUser (404), DeleteUser: user names, e-mails, directory "
        "and principal ids, an SSO role session; error text naming the account and user",
        (ACCOUNT, "c7n-test", "test@c7n.com", "d-90667776ef",
         "44f88488-9011-7006-fecd-c7d4aaea37f4", "AROA3FLD2ZISAQPHZK4RY", "abc123",
         "c7n-test-permissions"),
        ("READER", "ADMIN_PRO", "QUICKSIGHT", "AWSReservedSSO", "test@example.com",
         "ResourceNotFoundException", "USER"),
        (r"AROA[A-Z0-9]{17}",),
    ),
    Fixture(
        "cloud-custodian/test_dynamodb_resolver_multi",
        "DynamoDB ExecuteStatement: items (data plane, customer data throughout)",
        ("cicd", "app1", "shared", "prod"),
        ("app_name",),
    ),
    Fixture(
        "cloud-custodian/test_secrets_manager_describe",
        "Secrets Manager ListSecrets, DescribeSecret (200 and 403): secret names, ARN "
        "suffixes, version ids as map keys, free-text description, error text naming a user",
        (ACCOUNT, "c7n-test-key", "XTUSpD", "FSn4Nn", "a8014335-d8bc-4e61-99d0-301a66f7325c",
         "d73cecec-5e3d-4e61-a0f7-92dc508a8b1d", "bc570062-f612-4401-8f62-8be9ca4bede1"),
        ("AWSCURRENT", "AWSPREVIOUS", "maid_status", "AccessDeniedException",
         "secretsmanager:DescribeSecret"),
        (r"^arn:aws:secretsmanager:us-east-1:\d{12}:secret:[^:]+-[A-Za-z0-9]{6}$",),
    ),
    Fixture(
        "cloud-custodian/test_rds_kms_alias",
        "RDS DescribeDBInstances: endpoints, master user names, database names, resource ids, "
        "network ids, AWS default groups; KMS ListAliases with AWS-managed aliases",
        (ACCOUNT, "bluelobster", "zebramoon", "cnhganveedh2", "george", "mydb",
         "GLSP6V7DXOXMSRTLZTJDWKWT2A", "A6YKUPVEO6P7R4GR27OUQ2I4EI", "BlockStoreKeyWest",
         "1ec621db-4406-4cb9-8e85-812386071791", "subnet-15452171", "vpc-4a9ff72e",
         "sg-f9cc4d9f", "test-test"),
        ("alias/aws/ebs", "alias/aws/rds", "alias/aws/redshift", "alias/aws/s3",
         "default:mysql-5-6", "default.mysql5.6", "default:postgres-9-5", "default.postgres9.5",
         "rds-ca-2015", "db.m3.medium", "db.m4.large", "general-public-license",
         "postgresql-license", "gp2", "fri:06:32-fri:07:02", "thu:07:48-thu:08:18", "5.6.27",
         "9.5.2", ".us-west-2.rds.amazonaws.com", "us-west-2a", "workload-type"),
        (r"^db-[A-Z0-9]{26}$", r"^[a-z0-9-]+\.[a-z0-9]{12}\.us-west-2\.rds\.amazonaws\.com$"),
    ),
    Fixture(
        "cloud-custodian/test_appelb_listener_rules",
        "ELBv2 DescribeLoadBalancers, DescribeListeners, DescribeRules, DescribeTags: load "
        "balancer and target group names, DNS name, ARNs; the per-region ALB hosted zone id",
        ("test-alb", "test-tg"),
        ("123456789012", "Z35SXDOTRQ7X7K", "internet-facing", "application", "HTTP_301",
         "path-pattern", "/api/*", "us-east-1a", ":loadbalancer/app/", ":listener-rule/app/"),
        (r"^[a-z0-9-]+-\d+\.us-east-1\.elb\.amazonaws\.com$",),
    ),
    Fixture(
        "cloud-custodian/test_ecr_image_query",
        "ECR DescribeRepositories, DescribeImages: repository name, image digest; registry "
        "host and media type",
        ("c7n-test", "1efe7a31d4efda630d96685b336815bb1c1b620416fbc0de3a61acf0f861d239"),
        ("application/vnd.docker.distribution.manifest.v2+json", "MUTABLE", "AES256",
         ".dkr.ecr.us-east-1.amazonaws.com/"),
        (r"^sha256:[0-9a-f]{64}$", r"^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com/[a-z0-9._/-]+$"),
    ),
    Fixture(
        "cloud-custodian/test_launch_config_userdata",
        "Auto Scaling DescribeLaunchConfigurations: base64 UserData with passwords, an access "
        "key, client secret, LDAP credentials, tokens; DescribeAutoScalingGroups: names, ids",
        (ACCOUNT, "TestLC", "p@ssword", "mypassword", "12324easdfgh1234567xcvb",
         "SOMEREALLYLONGHASG828982IJKijdh93hhJKDHh3lkji3j9qp", "SH3nd92ksi1943",
         "asdfg12345fgh3456ghjk", "asdfasdfasdf", "passworrrrrd123", "AKIAASDFGHJKLPOIUYTR",
         "8681a149-96d1-4340-9cd6-6f6c8a2b6284", "e3627fb7-dcf0-4947-bacb-ac6545decf2e",
         "i-031bb33b21ba172a5", "sg-019072b99534598b7", "snap-00d1996891a5d2fbc",
         "subnet-914763e7"),
        ("EC2", "gp2", "t2.micro", "AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com",
         "InService", "Healthy", "Default", "/dev/xvda", "-Djavax.net.ssl.trustStorePassword=",
         "Add-LocalGroupMember"),
    ),
    Fixture(
        "cloud-custodian/test_cognito-user-pool",
        "Cognito ListUserPools, DescribeUserPool: pool ids (region-prefixed) and names; the "
        "standard attribute schema (sub, email, phone_number ...) and AWS's default messages",
        (ACCOUNT, "W6ST8sYH6", "xzq8X91on", "origin_userpool_MOBILEHUB_1667653900",
         "1667653900", "c7nusers"),
        ("given_name", "family_name", "nickname", "preferred_username", "phone_number",
         "phone_number_verified", "email_verified", "zoneinfo", "updated_at", "birthdate",
         "Your verification code is {####}.", "Your authentication code is {####}."),
        (r"^us-east-1_[0-9A-Za-z]{9}$",),
    ),
    Fixture(
        "cloud-custodian/test_ssm_send_command",
        "SSM DescribeInstanceInformation, SendCommand, GetCommandInvocation: instance id, "
        "private address and host name, command id, command output text",
        ("i-0ba3874e85bb97244", "172.31.10.93", "ip-172-31-10-93",
         "139fedb0-4913-47da-bb53-c08364f07c22"),
        ("AWS-RunShellScript", "aws:runShellScript", "Ubuntu", "18.04", "2.3.274.0",
         "EC2Instance", "Online", "Linux", "Success"),
        (PRIVATE_IP, r"^ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}$"),
    ),
    Fixture(
        "aws-gate/test_list",
        "EC2 DescribeInstances, SSM DescribeInstanceInformation: private and public "
        "addresses and DNS names, MAC address, key pair, instance profile, ENI and attachment "
        "ids, security group, ASG tag, client token",
        ("i-0c32153096cd68a6d", "i-0c123153096cd68a6d", "10.69.104.49", "10.69.104.50",
         "ip-10-69-104-49", "18.201.115.108", "ec2-18-201-115-108", "devops",
         "dummy-instance-profile-DummyInstanceProfile-YS5YYZGO42KY", "AIPAI3TCNGI6EZI2EEGH2",
         "eni-attach-0261d2d722db0f7c1", "eni-05baa824f576625e9", "06:31:f0:7b:09:b2",
         "subnet-112b23f83e033f3ab", "vpc-1981f29759da4a354", "sg-0abdcfcf3da0af9a2",
         "dummy-instance-DummyInstanceSecurityGroup-18T9WYDTRPD7S", "r-05cc2bf9ba7ac9c6c",
         "vol-03613c1cff34531af", "dummy-v001", "52b59bc2-812d-237d-5406-f848fb321dec",
         "ami-136bedc7c9c4b4848"),
        ("123456789012", "t2.micro", "eu-west-1a", ".eu-west-1.compute.internal",
         ".eu-west-1.compute.amazonaws.com", "aws:autoscaling:groupName", "Amazon Linux",
         "running", "hvm", "xen", "x86_64", "/dev/xvda", "2.3.117.0"),
        (r"^eni-attach-[0-9a-f]{17}$", r"^AIPA[A-Z0-9]{17}$", r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$",
         r"^ip-10-\d{1,3}-\d{1,3}-\d{1,3}\.eu-west-1\.compute\.internal$", PRIVATE_IP),
    ),
    Fixture(
        "zappa/TestZappa.test_cli_aws_status",
        "Lambda GetFunction: presigned code URL (temporary key id, session token, signature); "
        "API Gateway GetApiKeys, GetRestApis: key ids, API names; EventBridge rules; "
        "CloudWatch GetMetricStatistics",
        ("724336686645", "baby-flask-devor", "ASIAIPXCFPJ7VAQMZYGQ",
         "4c9u5HvYw6eVtgbuyT5teEB07gk", "FQoDYXdzEEwaDIv4tcF",
         "W9QTptojpE3bsg816Rrjh4was83amtaAx5s6NXaAl", "BbMa34BFOj6fKevBXPhUc61L3R2eh4sz7QzC6NWK",
         "rdrde6pecd", "zappa-ttt666", "website-production", "hackathon-starter-devo",
         "0ba7b1e0-d5f7-4c97-8505-0c87bc14acfd", "U8ckfxet4WSu22aYpYd2GrVG2E3HX4ifSoWCe8nr4ig=",
         "ZappaLambdaExecution", "event_me"),
        ("prod-04-2014-tasks.s3.amazonaws.com", "python2.7", "$LATEST", "rate(1 minute)",
         "rate(5 minutes)", "ENABLED", "Count", "x-amz-security-token=", "AWSAccessKeyId=",
         "Signature="),
        (r"AWSAccessKeyId=ASIA[A-Z0-9]{16}",),
    ),
]  # fmt: skip
IDS = [f.folder for f in FIXTURES]


@dataclass
class Imported:
    """What `pagetape import placebo` made of a folder: cassettes, or why it made none."""

    written: list[Path]
    error: Exception | None


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Imported]:
    """Each folder imported once for the module, into its own folder, as the command does."""
    out: dict[str, Imported] = {}
    for fixture in FIXTURES:
        target = tmp_path_factory.mktemp("imported")
        try:
            out[fixture.folder] = Imported(import_placebo(PLACEBO / fixture.folder, target), None)
        except Exception as error:  # a refusal or a crash: each test says which it hit
            out[fixture.folder] = Imported([], error)
    return out


def _cassettes(imported: Imported) -> list[Any]:
    """The written cassettes as JSON, or a failure naming the refusal."""
    if imported.error is not None:
        pytest.fail(f"import refused: {type(imported.error).__name__}: {imported.error}")
    return [json.loads(path.read_text()) for path in imported.written]


B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def _decoded(text: str) -> Iterator[str]:
    """Text hidden in base64 runs of TEXT (user data, recommendation ids, tokens)."""
    for run in B64_RUN.findall(text):
        padded = run + "=" * (-len(run) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                plain = decode(padded).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            if all(c.isprintable() or c in "\n\r\t" for c in plain):
                yield plain


def _strings(value: Any) -> Iterator[str]:
    """Every key and string in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _views(values: Any) -> list[str]:
    """Each string as stored and as a reader could decode it: URL-decoded, XML-unescaped,
    and the text inside its base64 runs, so a value kept inside an encoding is still seen."""
    out: list[str] = []
    for text in _strings(values):
        forms = {text, unquote(text), html.unescape(text)}
        for form in list(forms):
            forms.update(_decoded(form))
        out.extend(forms)
    return out


def _raw(fixture: Fixture) -> list[Any]:
    """The folder's files as copied, for checking this module's own expectations."""
    return [json.loads(p.read_text()) for p in sorted((PLACEBO / fixture.folder).glob("*.json"))]


def _leaked(value: str, views: list[str]) -> list[str]:
    """The forms of VALUE found in VIEWS: plain and URL-encoded in any case, base64 as is."""
    plain, quoted, *b64 = encoded_forms(value)
    escaped = {json.dumps(value)[1:-1], html.escape(value, quote=False)}
    folded = {f.lower() for f in {plain, quoted, *escaped}}
    found = [f for f in sorted(folded) if any(f in view.lower() for view in views)]
    return found + [f for f in b64 if any(f in view for view in views)]


def test_every_new_folder_is_listed_in_sources_with_its_commit() -> None:
    """SOURCES.md says where each folder came from: repository, 40-hex commit, path, licence."""
    rows = {line for line in SOURCES.read_text().splitlines() if line.startswith("| `placebo/")}
    for fixture in FIXTURES:
        [row] = [r for r in rows if r.startswith(f"| `placebo/{fixture.folder}/`")]
        assert re.search(r"`[0-9a-f]{40}`", row), row
        assert re.search(r"\| (MIT|Apache-2\.0|BSD-3-Clause)[ |(]", row), row


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_the_values_checked_are_read_off_the_files(fixture: Fixture) -> None:
    """Every value this module expects gone or kept is in the folder as copied (no typo makes
    a check vacuous), and every format but those of fakes holds for the original."""
    views = _views(_raw(fixture))
    missing = [v for v in (*fixture.identifying, *fixture.public) if not any(v in s for s in views)]
    assert missing == []
    assert not set(fixture.identifying) & set(fixture.public)
    originals = [f for f in fixture.formats if f not in FAKES_ONLY]
    unmatched = [f for f in originals if not any(re.search(f, s) for s in views)]
    assert unmatched == []


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_the_folder_imports_without_a_refusal(
    fixture: Fixture, imports: dict[str, Imported]
) -> None:
    """Ordinary customer data is sanitized, never refused: no LeakError, no other error."""
    imported = imports[fixture.folder]
    assert imported.error is None, f"{type(imported.error).__name__}: {imported.error}"
    assert imported.written


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_no_identifying_value_is_left_in_any_encoding(
    fixture: Fixture, imports: dict[str, Imported]
) -> None:
    """Default-deny: every identifying value read off the folder is absent from every cassette
    written, plain, lower-case, URL-encoded, JSON- and XML-escaped, base64, and inside decoded
    URL, XML and base64 text."""
    views = _views(_cassettes(imports[fixture.folder]))
    left = {value: forms for value in fixture.identifying if (forms := _leaked(value, views))}
    assert left == {}


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_public_values_and_formats_are_kept(fixture: Fixture, imports: dict[str, Imported]) -> None:
    """AWS's own values (enums, regions, instance classes, managed aliases and roles, awsdns
    name servers, service principals, default groups, documentation placeholders, schema
    names) survive verbatim, and fakes keep the formats the originals had."""
    views = _views(_cassettes(imports[fixture.folder]))
    faked = [value for value in fixture.public if not any(value in view for view in views)]
    lost = [f for f in fixture.formats if not any(re.search(f, view) for view in views)]
    assert (faked, lost) == ([], [])


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_the_cassettes_written_verify_clean(fixture: Fixture, imports: dict[str, Imported]) -> None:
    """What pagetape writes, pagetape's own audit accepts."""
    _cassettes(imports[fixture.folder])
    findings = [str(f) for path in imports[fixture.folder].written for f in verify_file(path)]
    assert findings == []


def _field(data: Any, path: str) -> Any:
    """The value at a finding's path (`response.body.A[0].B`) in a placebo file's data; keys
    may hold dots, so the longest key that fits is taken. None when the path leads elsewhere."""
    rest = path.removeprefix("response.body")
    if rest == path:
        return None
    node = data
    while rest:
        if isinstance(node, list) and (m := re.match(r"\[(\d+)\]", rest)):
            index = int(m.group(1))
            node, rest = (node[index] if index < len(node) else None), rest[m.end() :]
        elif isinstance(node, dict) and rest.startswith("."):
            keys = [k for k in node if re.match(rf"\.{re.escape(k)}(?=$|[.\[])", rest)]
            if not keys:
                return None
            key = max(keys, key=len)
            node, rest = node[key], rest[len(key) + 1 :]
        else:
            return None
    return node


def _named(value: str, findings: list[tuple[Finding, Any]]) -> bool:
    """A finding quotes VALUE (or the start verify shows of a long one), or flags, without
    quoting anything, a field whose value holds it."""
    for finding, data in findings:
        if value in finding.message or (len(value) > 45 and value[:45] in finding.message):
            return True
        if '"' not in finding.message and any(
            value in s for s in _views(_field(data, finding.path))
        ):
            return True
    return False


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_verify_on_the_raw_files_names_every_identifying_value(fixture: Fixture) -> None:
    """`pagetape verify` on a foreign folder is the audit before sharing it: it names each
    value that sanitize must replace, so a user fixing the files by hand misses none."""
    findings = [
        (finding, raw["data"])
        for path in sorted((PLACEBO / fixture.folder).glob("*.json"))
        for raw in [json.loads(path.read_text())]
        for finding in verify_file(path)
    ]
    unnamed = [value for value in fixture.identifying if not _named(value, findings)]
    assert unnamed == []
