"""The AWS vocabulary that is public: values every account sees the same way, kept verbatim.

Faking them would break code under test (`startswith("arn:aws:iam::aws:policy/")`, a metric
name, a model id) and identify nothing. What is AWS's own is read from the catalogue
(`pagetape.aws.catalogue`: AWS domains, host shapes and words, AWS-owned accounts, hosted zone ids,
public names, documentation placeholders) and from botocore (regions, endpoint prefixes,
operation names), so the list follows the installed botocore; this module answers the
questions the sanitizer asks of one value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pagetape.aws import arn as arn_mod
from pagetape.aws import catalogue
from pagetape.sanitize import prose

MODEL_PROVIDERS = catalogue.model_providers()
_MODEL_ID = re.compile(
    rf"(?:(?:{'|'.join(map(re.escape, catalogue.model_geo_prefixes()))})\.)?"
    rf"(?:{'|'.join(map(re.escape, MODEL_PROVIDERS))})\."
    r"[a-z0-9][a-z0-9-]*(?::\d+(?::[a-z0-9]+)?)?"
)  # no dot after the model name: writer.orders-db.acme-corp.com is a host, not a model
_INSTANCE_TYPE = re.compile(catalogue.value_format("instance_type"))
_DEVICE = re.compile(catalogue.value_format("device_name"))
AWS_NAMESPACE_PREFIX = "AWS/"
_VERSION = re.compile(r"v?[0-9]{1,6}(?:\.[0-9]{1,6}){1,3}")
_HOSTISH = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
regions = catalogue.regions
endpoint_prefixes = catalogue.endpoint_prefixes
aws_suffix = catalogue.aws_suffix


def is_region_or_zone(value: str) -> bool:
    """A region, an Availability Zone name (us-east-1a, us-east-1-bos-1a) or a zone id."""
    if value in regions():
        return True
    if value[-1:].isalpha() and value[:-1] in regions():
        return True
    if value[-1:].isalpha() and value[-2:-1] == "-" and "-" in value[:-2]:
        local = value[:-1].rstrip("-").rsplit("-", 2)  # us-east-1-bos-1a: a Local Zone
        if len(local) == 3 and local[0] in regions() and local[1].isalpha():
            return local[2].isdigit()
    return catalogue.is_zone_id(value)


def is_aws_domain(host: str) -> bool:
    return aws_suffix(host) is not None


def is_public_arn(arn: str) -> bool:
    """ARNs owned by AWS itself: resources of account `aws` (managed policies) or of an account
    AWS publishes from (Lambda Insights layers), public foundation models, and AWS's resources
    of no account (SSM public parameters)."""
    parts = arn_mod.parse(arn)
    if parts is None:
        return False
    service, account, resource = parts.service, parts.account, parts.resource
    if catalogue.is_aws_account(account):
        return True
    if not account and catalogue.public_arn_resource(service, resource):
        return True
    return service == "bedrock" and not account and is_model_id(resource.rpartition("/")[2])


def is_model_id(value: str) -> bool:
    return bool(_MODEL_ID.fullmatch(value))


@lru_cache(maxsize=1 << 16)
def is_public_value(value: str) -> bool:
    """A value the whole world shares: regions, zones, instance types, model ids, device names,
    AWS domains and host names, AWS-owned accounts, AWS's public names (alias/aws/*,
    /aws/service/*, AWS/ namespaces, default groups), hosted zone ids of AWS endpoints, service
    principals, VPC endpoint service names, API operation names (CloudTrail's EventName), and
    documentation or redaction placeholders. Cached: the sanitizer asks about every string, and
    a chain repeats most of them."""
    return (
        is_region_or_zone(value)
        or catalogue.is_aws_account(value)
        or catalogue.is_placeholder(value)
        or value in catalogue.hosted_zone_ids()
        or catalogue.is_public_name(value)
        or bool(_INSTANCE_TYPE.fullmatch(value))
        or is_model_id(value)
        or bool(_DEVICE.fullmatch(value))
        or (value.startswith("arn:") and is_public_arn(value))
        or ("." in value and _public_dotted(value))
        or _is_operation_name(value)
    )


_OPERATION_SHAPE = re.compile(r"[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*")  # no nested repeat: linear


def _is_operation_name(value: str) -> bool:
    """An AWS API operation name of two words or more (CloudTrail's EventName: AssumeRole);
    a one-word one (Publish, Scan) may as well be a customer's name."""
    return value in prose.operations() and bool(_OPERATION_SHAPE.fullmatch(value))


def is_version(member: str | None, value: str) -> bool:
    """VALUE, in a member named for a version (SSM's AgentVersion, RDS's EngineVersion), is a
    version number (2.3.117.0) as SSM's Version shape has it, not the IPv4 address it looks
    like."""
    return bool(member and member.endswith("Version") and _VERSION.fullmatch(value))


def _public_dotted(value: str) -> bool:
    host = value.lower().rstrip(".")
    if host in catalogue.service_principals() or catalogue.is_endpoint_service(value):
        return True
    domain = host.rpartition("@")[2].removeprefix("*.")
    if _HOSTISH.fullmatch(domain) and catalogue.is_reserved_domain(domain):
        return True  # example.com and its names (jane@example.com): documentation's own
    if host.startswith("aws.") and host[4:] in endpoint_prefixes():  # EventBridge: aws.ec2
        return True
    shape = catalogue.host_shape(host)
    if shape is not None and shape.public:
        return True
    return is_aws_domain(host) and _all_public_labels(host)


def _all_public_labels(host: str) -> bool:
    """sqs.us-east-1.amazonaws.com: every label is a service, region or AWS word."""
    suffix = aws_suffix(host)
    if suffix is None:
        return False
    host = host.lower().rstrip(".")
    labels = host[: -len(suffix)].rstrip(".").split(".") if host != suffix else []
    shape = catalogue.host_shape(host)
    words = shape.words if shape is not None else frozenset()
    return all(is_public_host_label(label) or label in words for label in labels if label)


def is_public_host_label(label: str) -> bool:
    """A label of an AWS host name that is structure: a service, a region or zone (also as
    ElastiCache writes it, use1), an AWS host word, a region joined to a word (s3-us-west-2,
    s3-website-eu-west-1), or an underscored label of a DNS protocol (_domainkey)."""
    return (
        label in catalogue.host_words()
        or catalogue.is_dns_label(label)
        or label in endpoint_prefixes()
        or is_region_or_zone(label)
        or label in catalogue.region_short_codes()
        or any(
            label.startswith(p) and is_region_or_zone(label[len(p) :])
            for p in catalogue.region_joined_prefixes()
        )
    )


# Inside such a structure, only these members hold AWS's own names (an alarm's AlarmName and
# a dimension's Value stay data).
PUBLIC_NAME_MEMBERS = catalogue.public_context_members()


def public_context(members: Iterable[tuple[str, object]]) -> bool:
    """A structure whose names are AWS's own: a metric of an AWS/ namespace (CPUUtilization,
    InstanceId) or an AWS managed policy (its PolicyName is public as its ARN is)."""
    for key, value in members:
        if not isinstance(value, str):
            continue
        if key == "Namespace" and value.startswith(AWS_NAMESPACE_PREFIX):
            return True
        if value.startswith("arn:") and is_public_arn(value):
            return True
    return False


def aws_owned(members: Iterable[tuple[str, object]]) -> bool:
    """A structure that is an AWS-owned resource, the same in every account: its own ARN
    (`Arn`, `PolicyArn`) is of account `aws` (a managed policy). Everything inside it, its
    policy documents included, is AWS's own."""
    return any(
        key in _OWN_ARN and (arn := arn_mod.parse(value)) is not None and arn.account == "aws"
        for key, value in members
        if isinstance(value, str)
    )


_OWN_ARN = frozenset({"Arn", "arn", "ARN", "PolicyArn"})


def xml_context(members: list[tuple[str, str]]) -> tuple[bool, bool]:
    """What an XML structure's leaves say of it (`codec.Context`): its names are AWS's own, it
    is an AWS-owned resource. The sanitizer and `verify` walk XML with the same answers."""
    return public_context(members), aws_owned(members)


# Words that recur as structure in every cassette whatever the service: path and key parts such
# as list/, keys/, in/, prod/ identify nobody (free text's public vocabulary: pagetape.sanitize.prose).
GENERIC_WORDS = catalogue.generic_words()
