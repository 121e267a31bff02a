"""Adversarial sanitization cases: realistic AWS data the sanitizer was not designed around.

Each test is a minimal reproduction of one failure seen today, marked xfail(strict=True) with
its cause, so the suite stays green and a fix turns the mark into an error to remove. Real parts
only: real botocore models, the writer's build, the leak proof and `verify_file`.
Grouped by category: crash, leak, public value faked, format broken, verify disagreement,
idempotency and determinism.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagetape.cassette.store import Interaction, Request, Response
from pagetape.errors import LeakError
from pagetape.imports.resanitize import sanitize_file
from pagetape.sanitize.writer import build, write
from pagetape.verify.lint import Finding, verify_file

JSON10 = "application/x-amz-json-1.0"
JSON11 = "application/x-amz-json-1.1"
XML = "text/xml;charset=UTF-8"
EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def exchange(
    service: str,
    operation: str,
    body: Any,
    ctype: str = JSON11,
    target: str | None = None,
    method: str = "POST",
    path: str = "/",
) -> Interaction:
    raw = body if isinstance(body, str) else json.dumps(body)
    headers = {"Content-Type": ctype, **({"X-Amz-Target": target} if target else {})}
    return Interaction(
        service=service,
        operation=operation,
        request=Request(
            method=method,
            path=path,
            query=[],
            headers=headers,
            body=b"{}" if "json" in ctype else b"",
        ),
        response=Response(status=200, headers={"Content-Type": ctype}, body=raw.encode()),
    )


class Written:
    """What the writer produced for some exchanges: the file, the proof's verdict, verify's."""

    def __init__(self, exchanges: list[Interaction], folder: Path) -> None:
        tape, sanitizer = build(exchanges, "us-east-1")
        self.path = folder / "cassette.json"
        self.refusal: LeakError | None = None
        try:
            write(self.path, tape, sanitizer)
        except LeakError as exc:
            self.refusal = exc
        self.doc = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.findings: list[Finding] = verify_file(self.path) if self.path.exists() else []
        self.text = self.path.read_text() if self.path.exists() else ""

    def body(self, n: int = 0) -> Any:
        return self.doc["interactions"][n]["response"]["body"]


def written(tmp_path: Path, *exchanges: Interaction) -> Written:
    return Written(list(exchanges), tmp_path)


def ec2(operation: str, inner: str) -> Interaction:
    return exchange(
        "ec2", operation, f"<{operation}Response {EC2_NS}>{inner}</{operation}Response>", XML
    )


def xml_text(body: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>([^<]*)</{tag}>", body)


def secret_description(text: str, name: str = "prod/db") -> Interaction:
    """Secrets Manager ListSecrets: Description is free text, Name an identifier."""
    return exchange(
        "secretsmanager",
        "ListSecrets",
        {"SecretList": [{"Name": name, "Description": text}]},
        target="secretsmanager.ListSecrets",
    )


# -- crash -----------------------------------------------------------------------------------


def test_crash_route53_alias_target_with_trailing_dot(tmp_path: Path) -> None:
    body = (
        '<ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        "<ResourceRecordSets><ResourceRecordSet><Name>www.acme-corp.com.</Name><Type>A</Type>"
        "<AliasTarget><HostedZoneId>Z35SXDOTRQ7X7K</HostedZoneId>"
        "<DNSName>dualstack.my-lb-1234567890.us-east-1.elb.amazonaws.com.</DNSName>"
        "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>"
        "</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
        "</ListResourceRecordSetsResponse>"
    )
    x = exchange(
        "route53", "ListResourceRecordSets", body, XML, method="GET",
        path="/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset",
    )  # fmt: skip
    out = written(tmp_path, x)
    assert "us-east-1.elb.amazonaws.com." in out.body()


def test_crash_uppercase_aws_host_name_in_free_text(tmp_path: Path) -> None:
    out = written(tmp_path, secret_description("served from MyBucket.S3.Amazonaws.com"))
    assert out.refusal is None


# -- leak: an identifying value survives -----------------------------------------------------


def test_leak_account_id_as_json_number_in_document(tmp_path: Path) -> None:
    x = exchange(
        "stepfunctions",
        "DescribeExecution",
        {
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:orders:run-1",
            "output": json.dumps({"account": 210987654321, "status": "done"}),
        },
        JSON10,
        target="AWSStepFunctions.DescribeExecution",
    )
    out = written(tmp_path, x)
    assert "210987654321" not in out.text
    assert out.refusal is not None or not out.findings


def test_leak_org_id_unique_id_canonical_user_in_policy(tmp_path: Path) -> None:
    canonical = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"CanonicalUser": canonical},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::acme-prod-data/*",
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
                    "StringLike": {"aws:userid": "AROAJQABLZS4A3QDU576Q:*"},
                },
            }
        ],
    }
    x = exchange(
        "secretsmanager",
        "GetResourcePolicy",
        {"Name": "prod/db", "ResourcePolicy": json.dumps(policy)},
        target="secretsmanager.GetResourcePolicy",
    )
    out = written(tmp_path, x)
    for real in ("o-a1b2c3d4e5", "AROAJQABLZS4A3QDU576Q", canonical):
        assert real not in out.text, real


def test_leak_unique_id_in_cloudtrail_event(tmp_path: Path) -> None:
    event = {
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAJQABLZS4A3QDU576Q:ci-runner",
            "arn": "arn:aws:sts::123456789012:assumed-role/DevOps/ci-runner",
            "accountId": "123456789012",
        },
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "recipientAccountId": "123456789012",
    }
    x = exchange(
        "cloudtrail",
        "LookupEvents",
        {
            "Events": [
                {
                    "EventId": "4f1c2d3e-aaaa-bbbb-cccc-1234567890ab",
                    "CloudTrailEvent": json.dumps(event),
                }
            ]
        },
        target="com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
    )
    out = written(tmp_path, x)
    assert "AROAJQABLZS4A3QDU576Q" not in out.text


def test_leak_password_in_database_url_with_ip_host(tmp_path: Path) -> None:
    x = exchange(
        "lambda",
        "GetFunctionConfiguration",
        {
            "FunctionName": "orders-fn",
            "Environment": {
                "Variables": {"DATABASE_URL": "postgres://app:Sup3rS3cret@10.0.3.7:5432/orders"}
            },
        },
        "application/json",
        method="GET",
        path="/2015-03-31/functions/orders-fn/configuration",
    )
    out = written(tmp_path, x)
    assert "Sup3rS3cret" not in out.text


def test_leak_slack_webhook_secret_path(tmp_path: Path) -> None:
    hook = "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF23/vR4nd0mS3cr3tT0k3nXyZaBc"
    x = exchange(
        "lambda", "GetFunctionConfiguration",
        {"FunctionName": "alerts", "Environment": {"Variables": {"ALERTS_HOOK": hook}}},
        "application/json", method="GET", path="/2015-03-31/functions/alerts/configuration",
    )  # fmt: skip
    out = written(tmp_path, x)
    assert "vR4nd0mS3cr3tT0k3nXyZaBc" not in out.text


def test_leak_personal_email_at_amazon_com(tmp_path: Path) -> None:
    out = written(tmp_path, secret_description("escalate to jeff.doe@amazon.com"))
    assert "jeff.doe" not in out.text


def test_leak_internal_host_named_like_a_model_provider(tmp_path: Path) -> None:
    out = written(tmp_path, secret_description("primary is writer.orders-db.acme-corp.com"))
    assert "acme-corp" not in out.text


def test_leak_and_format_ipv4_mapped_ipv6(tmp_path: Path) -> None:
    out = written(tmp_path, secret_description("client ::ffff:8.8.4.4 connected"))
    written_addr = out.body()["SecretList"][0]["Description"].split()[1]
    ipaddress.ip_address(written_addr)  # still an address
    assert "8.4.4" not in written_addr


# -- public value faked ----------------------------------------------------------------------


def test_public_route53_name_servers_and_ses_dkim_kept(tmp_path: Path) -> None:
    body = (
        '<ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        "<ResourceRecordSets><ResourceRecordSet><Name>acme-corp.com.</Name><Type>NS</Type>"
        "<TTL>172800</TTL><ResourceRecords>"
        "<ResourceRecord><Value>ns-2048.awsdns-64.com.</Value></ResourceRecord>"
        "<ResourceRecord><Value>ns-512.awsdns-00.net.</Value></ResourceRecord>"
        "</ResourceRecords></ResourceRecordSet>"
        "<ResourceRecordSet><Name>sel1._domainkey.acme-corp.com.</Name><Type>CNAME</Type>"
        "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>abcdefghijklmnop.dkim.amazonses.com"
        "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
        "</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
        "</ListResourceRecordSetsResponse>"
    )
    x = exchange(
        "route53", "ListResourceRecordSets", body, XML, method="GET",
        path="/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset",
    )  # fmt: skip
    text = written(tmp_path, x).body()
    assert ".awsdns-64.com." in text and ".awsdns-00.net." in text
    assert ".dkim.amazonses.com" in text


def test_public_aws_host_domains_kept(tmp_path: Path) -> None:
    text = (
        "env myenv.eba-abcd1234.us-east-1.elasticbeanstalk.com "
        "app main.d1a2b3c4d5e6f7.amplifyapp.com "
        "redis sessions.abc123.cfg.use1.cache.amazonaws.com"
    )
    out = written(tmp_path, secret_description(text)).body()["SecretList"][0]["Description"]
    assert ".us-east-1.elasticbeanstalk.com" in out
    assert ".amplifyapp.com" in out
    assert ".cfg.use1.cache.amazonaws.com" in out


def test_public_vpc_endpoint_service_name_and_dns_kept(tmp_path: Path) -> None:
    x = ec2(
        "DescribeVpcEndpoints",
        "<vpcEndpointSet><item><vpcEndpointId>vpce-0123456789abcdef0</vpcEndpointId>"
        "<serviceName>com.amazonaws.us-east-1.s3</serviceName>"
        "<dnsEntrySet><item><dnsName>*.vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce."
        "amazonaws.com</dnsName></item></dnsEntrySet></item></vpcEndpointSet>",
    )
    body = written(tmp_path, x).body()
    assert xml_text(body, "serviceName") == ["com.amazonaws.us-east-1.s3"]
    assert xml_text(body, "dnsName")[0].endswith(".s3.us-east-1.vpce.amazonaws.com")


def test_public_ssm_parameter_path_kept(tmp_path: Path) -> None:
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    x = exchange(
        "ssm",
        "GetParameter",
        {
            "Parameter": {
                "Name": name,
                "Type": "String",
                "Value": "ami-0abcdef1234567890",
                "ARN": f"arn:aws:ssm:us-east-1::parameter{name}",
                "Version": 90,
            }
        },
        target="AmazonSSM.GetParameter",
    )
    param = written(tmp_path, x).body()["Parameter"]
    assert param["ARN"].endswith("parameter" + param["Name"])  # still the same parameter
    assert param["Name"] == name


def test_public_kms_managed_alias_kept_and_consistent(tmp_path: Path) -> None:
    x = exchange(
        "kms",
        "ListAliases",
        {
            "Aliases": [
                {
                    "AliasName": "alias/aws/s3",
                    "AliasArn": "arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
                    "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                }
            ]
        },
        target="TrentService.ListAliases",
    )
    alias = written(tmp_path, x).body()["Aliases"][0]
    assert alias["AliasName"].startswith("alias/")
    assert alias["AliasArn"].endswith(":" + alias["AliasName"])
    assert alias["AliasName"] == "alias/aws/s3"


def test_public_cloudtrail_event_name_kept(tmp_path: Path) -> None:
    x = exchange(
        "cloudtrail",
        "LookupEvents",
        {"Events": [{"EventName": "AssumeRole", "EventSource": "sts.amazonaws.com"}]},
        target="com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
    )
    assert written(tmp_path, x).body()["Events"][0]["EventName"] == "AssumeRole"


def test_public_aws_lambda_layer_arn_kept(tmp_path: Path) -> None:
    layer = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38"
    x = exchange(
        "lambda", "GetFunctionConfiguration",
        {"FunctionName": "orders-fn", "Layers": [{"Arn": layer, "CodeSize": 1}]},
        "application/json", method="GET", path="/2015-03-31/functions/orders-fn/configuration",
    )  # fmt: skip
    assert written(tmp_path, x).body()["Layers"][0]["Arn"] == layer


# -- format broken ---------------------------------------------------------------------------


def test_format_documentation_address_in_name_field(tmp_path: Path) -> None:
    x = ec2(
        "DescribeInstances",
        "<reservationSet><item><reservationId>r-1234567890abcdef0</reservationId><instancesSet>"
        "<item><instanceId>i-1234567890abcdef0</instanceId>"
        "<dnsName>ec2-203-0-113-25.compute-1.amazonaws.com</dnsName>"
        "<ipAddress>203.0.113.25</ipAddress></item></instancesSet></item></reservationSet>",
    )
    body = written(tmp_path, x).body()
    (address,) = xml_text(body, "ipAddress")
    ipaddress.ip_address(address)
    (dns,) = xml_text(body, "dnsName")
    assert dns.startswith("ec2-" + address.replace(".", "-") + ".")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(address=st.ip_addresses(v=4))
def test_format_any_ipv4_in_address_member_stays_an_address(
    tmp_path_factory: pytest.TempPathFactory, address: ipaddress.IPv4Address
) -> None:
    x = ec2(
        "DescribeInstances",
        "<reservationSet><item><instancesSet><item>"
        f"<ipAddress>{address}</ipAddress></item></instancesSet></item></reservationSet>",
    )
    body = written(tmp_path_factory.mktemp("ip"), x).body()
    ipaddress.ip_address(xml_text(body, "ipAddress")[0])


def test_format_link_local_and_ula_stay_non_public(tmp_path: Path) -> None:
    out = written(tmp_path, secret_description("tunnel 169.254.10.0/30 ula fd12:3456:789a::1"))
    words = out.body()["SecretList"][0]["Description"].split()
    assert ipaddress.ip_network(words[1]).subnet_of(ipaddress.ip_network("169.254.0.0/16"))
    assert ipaddress.ip_address(words[3]) in ipaddress.ip_network("fc00::/7")


def test_format_resource_id_prefixes_kept(tmp_path: Path) -> None:
    rule = ec2(
        "DescribeSecurityGroupRules",
        "<securityGroupRuleSet><item><securityGroupRuleId>sgr-0123456789abcdef0"
        "</securityGroupRuleId><groupId>sg-0123456789abcdef0</groupId></item>"
        "</securityGroupRuleSet>",
    )
    user = exchange(
        "iam",
        "GetUser",
        '<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult>'
        "<User><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Path>/</Path><UserName>zoe</UserName>"
        "<Arn>arn:aws:iam::123456789012:user/zoe</Arn><CreateDate>2013-10-02T17:01:44Z"
        "</CreateDate></User></GetUserResult></GetUserResponse>",
        XML,
    )
    out = written(tmp_path, rule, user)
    assert xml_text(out.body(0), "securityGroupRuleId")[0].startswith("sgr-")
    assert xml_text(out.body(1), "UserId")[0].startswith("AIDA")


def test_format_aurora_reader_endpoint_label(tmp_path: Path) -> None:
    body = (
        '<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">'
        "<DescribeDBClustersResult><DBClusters><DBCluster>"
        "<DBClusterIdentifier>orders-db</DBClusterIdentifier>"
        "<Endpoint>orders-db.cluster-c9akciq32abc.us-east-1.rds.amazonaws.com</Endpoint>"
        "<ReaderEndpoint>orders-db.cluster-ro-c9akciq32abc.us-east-1.rds.amazonaws.com"
        "</ReaderEndpoint></DBCluster></DBClusters></DescribeDBClustersResult>"
        "</DescribeDBClustersResponse>"
    )
    out = written(tmp_path, exchange("rds", "DescribeDBClusters", body, XML)).body()
    assert ".cluster-ro-" in xml_text(out, "ReaderEndpoint")[0]
    assert ".cluster-" in xml_text(out, "Endpoint")[0]


def test_format_wildcard_domain_consistent_with_apex(tmp_path: Path) -> None:
    x = exchange(
        "acm",
        "DescribeCertificate",
        {
            "Certificate": {
                "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/"
                "12345678-1234-1234-1234-123456789012",
                "DomainName": "*.acme-corp.com",
                "SubjectAlternativeNames": ["*.acme-corp.com", "acme-corp.com"],
            }
        },
        target="CertificateManager.DescribeCertificate",
    )
    cert = written(tmp_path, x).body()["Certificate"]
    wildcard, apex = cert["SubjectAlternativeNames"]
    assert wildcard == "*." + apex


# -- verify disagrees with pagetape's own output ---------------------------------------------


def test_verify_flags_private_block_cidrs(tmp_path: Path) -> None:
    x = ec2(
        "DescribeSecurityGroups",
        "<securityGroupInfo><item><groupId>sg-903004f8</groupId><ipPermissions><item>"
        "<ipProtocol>tcp</ipProtocol><ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item>"
        "<item><cidrIp>192.168.0.0/16</cidrIp></item></ipRanges></item></ipPermissions>"
        "</item></securityGroupInfo>",
    )
    out = written(tmp_path, x)
    assert out.refusal is None
    assert out.findings == []


def test_verify_flags_short_public_cidr(tmp_path: Path) -> None:
    x = ec2(
        "DescribeClientVpnRoutes",
        "<routes><item><clientVpnEndpointId>cvpn-endpoint-0123456789abcdef0</clientVpnEndpointId>"
        "<destinationCidr>128.0.0.0/1</destinationCidr></item></routes>",
    )
    assert written(tmp_path, x).findings == []


# -- idempotency and determinism -------------------------------------------------------------


def test_idempotent_resanitize_keeps_request_marks(tmp_path: Path) -> None:
    x = exchange(
        "lambda", "GetFunctionConfiguration", {"FunctionName": "orders-fn"},
        "application/json", method="GET", path="/2015-03-31/functions/orders-fn/configuration",
    )  # fmt: skip
    out = written(tmp_path, x)
    before = out.doc["interactions"]
    sanitize_file(out.path, out.path)
    after = json.loads(out.path.read_text())["interactions"]
    assert after == before


def test_deterministic_whatever_the_exchange_order(tmp_path: Path) -> None:
    group = ec2(
        "DescribeSecurityGroups",
        "<securityGroupInfo><item><groupId>sg-903004f8</groupId><groupName>web</groupName>"
        "<groupDescription>web tier</groupDescription></item></securityGroupInfo>",
    )
    user = exchange(
        "iam",
        "GetUser",
        '<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult>'
        "<User><UserName>zoe</UserName><Arn>arn:aws:iam::123456789012:user/zoe</Arn></User>"
        "</GetUserResult></GetUserResponse>",
        XML,
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Written([group, user], tmp_path / "a")
    second = Written([user, group], tmp_path / "b")
    assert first.body(0) == second.body(1)
