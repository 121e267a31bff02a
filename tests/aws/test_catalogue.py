"""The catalogue of AWS's formats and values: every entry has a source, every format's example is
found and faked in its format, every public value stays, and what botocore knows is read from
botocore."""

from __future__ import annotations

import ipaddress
import re

import msgspec
import pytest

from pagetape.aws import catalogue
from pagetape.sanitize import addresses, detect, marks, prose, structured, vocabulary
from pagetape.sanitize.rewrite import Rewriter

CAT = catalogue.catalogue()
FORMATS = {f.name: f for f in CAT.id_formats}


def _rewriter() -> Rewriter:
    return Rewriter(b"catalogue-test-secret")


def test_every_entry_names_its_source() -> None:
    found = list(catalogue.sources())
    assert len(found) > 100
    assert [where for where, source in found if len(source.strip()) < 12] == []

    # Every struct of the catalogue is an entry with a source, or a group of entries.
    groups = (catalogue.Catalogue, catalogue.Placeholders, catalogue.Networks)
    parts = (catalogue.Segment, catalogue.ModelRef, catalogue.FaultCode)

    def structs(value: object) -> list[msgspec.Struct]:
        if isinstance(value, msgspec.Struct):
            inner = msgspec.structs.asdict(value).values()
            return [value, *(s for v in inner for s in structs(v))]
        if isinstance(value, dict):
            return [s for v in value.values() for s in structs(v)]
        if isinstance(value, (tuple, list)):
            return [s for v in value for s in structs(v)]
        return []

    loose = [s for s in structs(CAT) if not isinstance(s, (catalogue._Entry, *groups, *parts))]
    assert loose == []


def test_the_catalogue_is_shipped_inside_the_package() -> None:
    """It lives in the package folder the wheel maps whole (hatch's `packages`), read through
    importlib.resources, never by a path outside the package."""
    from importlib import resources
    from pathlib import Path

    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert re.search(r'packages = \[[^\]]*"recorder/pagetape"', pyproject)
    assert resources.files("pagetape").joinpath("data", "catalogue.json").is_file()


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_example_is_detected_and_faked_in_its_format(name: str) -> None:
    fmt = FORMATS[name]
    assert catalogue.format_of(fmt.example) == fmt, "the example is read as another format"
    assert detect.fullmatch(fmt.example) == fmt.rule
    rw = _rewriter()
    fake = rw.detected(fmt.rule, fmt.example)
    assert fake != fmt.example
    assert len(fake) == len(fmt.example)
    assert catalogue.format_of(fake, fmt.rule) is not None, fake
    region, prefix, segments = catalogue.split_id(fmt, fmt.example)
    fake_region, fake_prefix, fake_segments = catalogue.split_id(fmt, fake)
    assert (fake_region, fake_prefix) == (region, prefix)
    assert [len(s) for s in fake_segments] == [len(s) for s in segments]
    chars = set(catalogue.alphabet(fmt.alphabet))
    body = "".join(fake_segments)
    assert set(body.lower() if fmt.alphabet == "hex" else body) <= chars | {"P", "A", "G", "T", "E"}
    assert rw.detected(fmt.rule, fmt.example) == fake  # one real value, one fake
    assert rw.detected(fmt.rule, fake) == fake  # a fake is its own fake
    assert detect.claims_fake(fake)


@pytest.mark.parametrize("name", sorted(n for n, f in FORMATS.items() if f.model))
def test_formats_follow_the_botocore_shapes_they_cite(name: str) -> None:
    from pagetape.aws.specs import botocore_session

    fmt = FORMATS[name]
    _, prefix, _ = catalogue.split_id(fmt, fmt.example)
    for ref in fmt.model:
        shape = botocore_session().get_service_model(ref.service).shape_for(ref.shape)
        pattern = shape.metadata["pattern"]
        literal = re.match(r"\^?\(?([a-z]+-)", pattern)
        example = fmt.example
        if literal is not None:  # the example again with the prefix of this shape
            example = literal.group(1) + fmt.example[len(prefix) :]
        assert re.search(pattern, example), (ref, pattern, example)
        assert catalogue.format_of(example) == fmt, example


def test_an_organizational_unit_shares_the_fake_of_its_root() -> None:
    rw = _rewriter()
    root = rw.detected("org_id", "r-ab12")
    unit = rw.detected("org_id", "ou-ab12-cd34ef56")
    assert unit.startswith("ou-" + root[2:] + "-")


def test_iam_unique_ids_carry_the_mark_and_verify_proves_them() -> None:
    fake = _rewriter().detected("iam_unique_id", "AROAJQABLZS4A3QDU576Q")
    assert fake.startswith("AROA" + marks.FAKE_MARK) and len(fake) == 21
    assert detect.is_fake("iam_unique_id", fake)
    assert not detect.is_fake("iam_unique_id", "AROAJQABLZS4A3QDU576Q")


def test_a_mac_address_stays_a_mac_address() -> None:
    fake = _rewriter().detected("mac_address", "06:1a:2b:3c:4d:5e")
    assert re.fullmatch(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}", fake)
    assert int(fake[:2], 16) & 3 == 0x06 & 3  # still unicast, still locally administered


def test_words_are_not_read_as_ids() -> None:
    for text in ("r-prod", "r-2024", "ws-production", "o-ring", "db-backups", "cluster-main"):
        assert detect.fullmatch(text) is None, text


PUBLIC = [
    "Z35SXDOTRQ7X7K", "Z2FDTNDATAQYW2", "Z26RNL4JYFTOTI", "alias/aws/s3", "alias/aws/ebs",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "AWS/EC2",
    "default", "default.postgres15", "default:mysql-8-0", "default.aurora-mysql8.0",
    "default.redis7.cluster.on", "p-FullAWSAccess", "580247275435", "137112412989", "amazon",
    "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38",
    "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions",
    "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::127311923021:root",
    "com.amazonaws.us-east-1.s3", "com.amazonaws.eu-west-1.ecr.dkr",
    "scheduler.amazonaws.com", "ecs-tasks.amazonaws.com", "delivery.logs.amazonaws.com",
    "aws.ec2", "ns-2048.awsdns-64.com", "ns-512.awsdns-00.net.", "ns-7.awsdns-07.co.uk",
    "sqs.us-east-1.amazonaws.com", "use1-az1", "apne1-az4", "us-east-1a", "m5.2xlarge",
    "db.r6g.large", "/dev/xvda", "AssumeRole", "ListBuckets", "DescribeInstances",
    "123456789012", "111122223333", "AKIAIOSFODNN7EXAMPLE", "AIDACKCEVSQ6C2EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "000000000000", "REDACTED", "XXXXXXXXXXXX",
    "o-exampleorgid", "anthropic.claude-3-sonnet-20240229-v1:0", "us.amazon.nova-micro-v1:0",
    "$LATEST", "AWSCURRENT", "AWS-RunShellScript", "AWSServiceRoleForECS", "rate(5 minutes)",
    "postgres", "postgresql-license", "gp3", "awsdns-hostmaster.amazon.com", "Z7HUB22UULQXV",
    "subdomain.example.com.", "jane@example.com", "preferred_username",
    "application/vnd.docker.distribution.manifest.v2+json", "ecs.capability.secrets.ssm.bootstrap",
    "prod-04-2014-tasks.s3.amazonaws.com", "whois.registrar.amazon",
]  # fmt: skip


@pytest.mark.parametrize("value", PUBLIC)
def test_each_public_value_is_kept(value: str) -> None:
    assert vocabulary.is_public_value(value)
    assert list(detect.scan(value)) == []
    rw = _rewriter()
    assert rw.string(value, "name") == value
    assert rw.string(value, "free_text") == value


NOT_PUBLIC = [
    "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", "alias/aws", "alias/acme-key",
    "default.acme", "ns-1.acme-dns.com", "writer.orders-db.acme-corp.com",
    "arn:aws:lambda:us-east-1:210987654321:layer:acme:1", "acme-tasks.amazonaws.com",
    "AssumeRoleForAcme", "use9-az1", "AROAJQABLZS4A3QDU576Q", "AWS-acme-prod", "jane@acme.com",
    "acme-tasks.s3.amazonaws.com", "rate(often)",
]  # fmt: skip


@pytest.mark.parametrize("value", NOT_PUBLIC)
def test_look_alikes_of_public_values_are_not_public(value: str) -> None:
    assert not vocabulary.is_public_value(value)


@pytest.mark.parametrize("shape", CAT.host_shapes, ids=lambda s: s.name)
def test_each_host_shape_example_is_its_shape(shape: catalogue.HostShape) -> None:
    assert catalogue.host_shape(shape.example) == shape
    faked = structured.host(_rewriter(), shape.example)
    if shape.public:
        assert faked == shape.example
    else:
        suffix = vocabulary.aws_suffix(shape.example)
        assert suffix is not None and faked.endswith("." + suffix)
        assert faked.count(".") == shape.example.count(".")


@pytest.mark.parametrize(
    ("host", "kept"),
    [
        ("orders-db.cluster-ro-c9akciq32abc.us-east-1.rds.amazonaws.com", ".cluster-ro-"),
        ("orders-db.cluster-c9akciq32abc.us-east-1.rds.amazonaws.com", ".cluster-"),
        ("internal-my-lb-1234567890.us-east-1.elb.amazonaws.com", "internal-"),
        ("dualstack.my-lb-1234567890.us-east-1.elb.amazonaws.com", "dualstack."),
        ("vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com", "vpce-"),
        ("210987654321.dkr.ecr.eu-west-1.amazonaws.com", ".dkr.ecr.eu-west-1.amazonaws.com"),
        ("qzsess.q7x9zk.cfg.use1.cache.amazonaws.com", ".cfg.use1.cache.amazonaws.com"),
        ("myenv.eba-abcd1234.us-east-1.elasticbeanstalk.com", ".us-east-1.elasticbeanstalk.com"),
        ("ip-10-0-0-1.eu-west-1.compute.internal", ".eu-west-1.compute.internal"),
        ("mail.acme-corp.co.uk", ".co.uk"),
    ],
)
def test_host_shapes_keep_aws_structure(host: str, kept: str) -> None:
    faked = structured.host(_rewriter(), host)
    assert kept in faked and faked != host


def test_names_inside_host_names_share_their_fakes() -> None:
    rw = _rewriter()
    endpoint = structured.host(rw, "orders-db.cluster-ro-c9akciq32abc.us-east-1.rds.amazonaws.com")
    instance = structured.host(rw, "orders-db-1.c9akciq32abc.us-east-1.rds.amazonaws.com")
    assert endpoint.split(".")[1].removeprefix("cluster-ro-") == instance.split(".")[1]
    vpce = rw.detected("resource_id", "vpce-0123456789abcdef0")
    dns = structured.host(rw, "vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com")
    assert dns.startswith(vpce + "-")
    account = rw.detected("account_id", "210987654321")
    assert structured.host(rw, "210987654321.dkr.ecr.eu-west-1.amazonaws.com").startswith(account)


def test_regions_endpoint_prefixes_and_suffixes_are_botocore_s() -> None:
    from botocore.loaders import create_loader

    loader = create_loader()
    endpoints = loader.load_data("endpoints")
    regions = {r for p in endpoints["partitions"] for r in p["regions"]}
    prefixes = {s for p in endpoints["partitions"] for s in p["services"]}
    suffixes = {p["outputs"]["dnsSuffix"] for p in loader.load_data("partitions")["partitions"]}
    assert regions <= catalogue.regions()
    assert prefixes == catalogue.endpoint_prefixes()
    assert suffixes <= catalogue.dns_suffixes() and suffixes <= set(catalogue.aws_domains())
    assert {f"{p}.amazonaws.com" for p in prefixes} <= catalogue.service_principals()
    assert {"use1", "euw1", "apne1", "usgw1"} <= catalogue.region_short_codes()


def test_operation_names_are_those_of_every_botocore_model() -> None:
    from botocore.loaders import create_loader

    loader = create_loader()
    names = prose.operations()
    for service in ("sts", "s3", "ec2", "cloudtrail", "dynamodb", "bedrock-runtime"):
        assert set(loader.load_service_model(service, "service-2")["operations"]) <= names
    assert len(names) > 10000


def test_the_catalogue_s_networks_are_networks() -> None:
    nets = CAT.networks
    for entry in (*nets.harmless, *nets.private, *nets.fake):
        ipaddress.ip_network(entry.cidr)
    assert addresses.harmless("192.168.0.0/16") and addresses.harmless("fc00::/7")
    assert not addresses.harmless("192.168.4.0/24")
    assert addresses.is_private("169.254.10.1") and addresses.is_private("fd12::1")


@pytest.mark.parametrize("entry", CAT.placeholders.values, ids=lambda e: e.value)
def test_documentation_placeholders_are_kept_and_accepted(entry: catalogue.Placeholder) -> None:
    assert catalogue.is_placeholder(entry.value)
    assert list(detect.scan(entry.value)) == []
    assert detect.is_fake(entry.kind, entry.value)
    assert _rewriter().string(entry.value, "name") == entry.value


def test_secret_key_words_come_from_the_catalogue() -> None:
    assert detect.is_secret_key("DbPassword") and detect.is_secret_key("X-Amz-Signature")
    assert detect.is_secret_key("sts:ExternalId") and detect.is_secret_key("client_secret")
    assert not detect.is_secret_key("SecretName") and not detect.is_secret_key("AccessKeyId")


@pytest.mark.parametrize("entry", CAT.aws_members, ids=lambda e: e.service)
def test_aws_members_are_members_of_their_service(entry: catalogue.AwsMembers) -> None:
    from pagetape.aws.specs import botocore_session

    model = botocore_session().get_service_model(entry.service)
    found = {
        name
        for shape_name in model.shape_names
        if (shape := model.shape_for(shape_name)).type_name == "structure"
        for name in shape.members
    }
    assert entry.members <= found


def test_route53_id_paths_stay_and_the_id_is_faked_as_bare() -> None:
    rw = _rewriter()
    bare = rw.string("Z0123456789ABCDEFGHIJ", "name")
    assert rw.string("/hostedzone/Z0123456789ABCDEFGHIJ", "name") == "/hostedzone/" + bare
    assert re.fullmatch(r"[A-Z0-9]{21}", bare) and bare != "Z0123456789ABCDEFGHIJ"
    assert catalogue.split_id_path("/hostedzone/") == ("", "/hostedzone/")


def test_a_dkim_record_and_its_target_share_the_selector_fake() -> None:
    rw = _rewriter()
    token = "4fz2qk7hx3ulmw6bd5yn2ojr8tcevsia"
    name = rw.string(f"{token}._domainkey.globex-payments.com.", "name")
    target = rw.string(f"{token}.dkim.amazonses.com", "name")
    selector, label, *_ = name.split(".")
    assert label == "_domainkey" and selector != token
    assert target == f"{selector}.dkim.amazonses.com"
    assert name.endswith("." + rw.string("globex-payments.com.", "name"))


@pytest.mark.parametrize("dns", ["checkout-prod-1", "internal-checkout-prod-1234567890"])
def test_a_load_balancer_s_dns_name_agrees_with_its_name(dns: str) -> None:
    rw = _rewriter()
    name = rw.string("checkout-prod", "name")
    faked = rw.string(f"{dns}.us-east-1.elb.amazonaws.com", "name")
    assert faked.removeprefix("internal-").startswith(name + "-")


def test_a_cognito_pool_id_keeps_its_region_whatever_its_length() -> None:
    rw = _rewriter()
    for real in ("us-east-1_aBcDeFgH1", "eu-west-1_0123456789abcdef0123456789abcdef"):
        fake = rw.string(real, "name")
        region = real.partition("_")[0]
        assert fake.startswith(region + "_") and fake != real
        assert re.fullmatch(r"[0-9A-Za-z]+", fake.partition("_")[2])
        assert len(fake) == len(real)
