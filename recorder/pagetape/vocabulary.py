"""The AWS vocabulary that is public: values every account sees the same way, kept verbatim.

Faking them would break code under test (`startswith("arn:aws:iam::aws:policy/")`, a metric
name, a model id) and identify nothing. Regions and endpoint prefixes come from botocore's own
data, so the list follows the installed botocore.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

# Domains AWS owns; a host under one of them is AWS's, only its resource labels are data.
AWS_DOMAINS = (
    "amazonaws.com", "amazonaws.com.cn", "amazonaws-us-gov.com", "amazon.com", "aws.amazon.com",
    "awsstatic.com", "cloudfront.net", "amazontrust.com", "aws.dev", "api.aws", "on.aws",
    "awsapps.com", "amazoncognito.com", "aws", "ec2.internal", "compute.internal",
    "amazonwebservices.com", "a2z.com", "aws.com", "sc2s.sgov.gov", "c2s.ic.gov",
)  # fmt: skip
# Labels of AWS host names that are structure, not resources.
AWS_HOST_WORDS = frozenset(
    {
        "compute", "compute-1", "internal", "dualstack", "fips", "vpce", "s3-website",
        "s3-control", "s3-accesspoint", "execute-api", "elb", "api", "console", "signin",
        "portal", "sso", "oidc", "email", "smtp", "queue", "sqs", "sns", "www", "docs", "ec2",
    }
)  # fmt: skip
# Account ids of AWS itself and of the public AMI publishers everyone sees in DescribeImages.
AWS_ACCOUNTS = frozenset(
    {
        "137112412989", "591542846629", "801119661308", "099720109477", "309956199498",
        "136693071363", "679593333241", "125523088429", "013907871322", "898082745236",
        "amazon", "aws", "aws-marketplace", "self",
    }
)  # fmt: skip
MODEL_PROVIDERS = (
    "amazon", "anthropic", "meta", "cohere", "ai21", "mistral", "stability", "deepseek",
    "writer", "twelvelabs", "luma", "qwen", "openai", "google", "minimax", "moonshot", "nvidia",
)  # fmt: skip
_MODEL_ID = re.compile(
    rf"(?:(?:us|eu|apac|global|us-gov|jp|au|ca)\.)?(?:{'|'.join(MODEL_PROVIDERS)})\."
    r"[a-z0-9][a-z0-9.\-]*(?::\d+(?::[a-z0-9]+)?)?"
)
_INSTANCE_TYPE = re.compile(
    r"(?:db\.|cache\.|ml\.|search\.|ra3\.|dc2\.)?[a-z][a-z0-9-]*\d[a-z0-9-]*\."
    r"(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?|\d+gb)"
)
_DEVICE = re.compile(r"/dev/(?:sd|xvd|hd|nvme)[a-z0-9]+|(?:sd|xvd)[a-z]\d{0,2}|nvme\d+n\d+")
_AZ_ID = re.compile(r"[a-z]{2,4}\d-az\d{1,2}|[a-z]{3}\d+-[a-z]+\d*-az\d")
AWS_NAMESPACE_PREFIX = "AWS/"


@cache
def regions() -> frozenset[str]:
    """Every region botocore's endpoint data names, in every partition."""
    from botocore.loaders import create_loader

    found: set[str] = set()
    data = create_loader().load_data("endpoints")
    for partition in data.get("partitions", []):
        found.update(partition.get("regions", {}))
    return frozenset(found)


@cache
def endpoint_prefixes() -> frozenset[str]:
    """Service endpoint prefixes (host labels such as `sqs`, `s3`, `bedrock-runtime`)."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    out: set[str] = set()
    for partition in data.get("partitions", []):
        out.update(partition.get("services", {}))
    return frozenset(out)


def is_region_or_zone(value: str) -> bool:
    if value in regions():
        return True
    return (value[:-1] in regions() and value[-1:].isalpha()) or bool(_AZ_ID.fullmatch(value))


def is_aws_domain(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in AWS_DOMAINS)


def is_public_arn(arn: str) -> bool:
    """ARNs owned by AWS itself: managed policies (`arn:aws:iam::aws:policy/...`), public
    foundation models and other resources of account `aws`."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return False
    if parts[4] == "aws":
        return True
    resource = parts[5]
    return parts[2] == "bedrock" and not parts[4] and is_model_id(resource.rpartition("/")[2])


def is_model_id(value: str) -> bool:
    return bool(_MODEL_ID.fullmatch(value))


@lru_cache(maxsize=1 << 16)
def is_public_value(value: str) -> bool:
    """A value the whole world shares: regions, zones, instance types, model ids, device names,
    AWS domains, AWS-owned accounts and AWS metric namespaces. Cached: the sanitizer asks about
    every string, and a chain repeats most of them."""
    return (
        is_region_or_zone(value)
        or value in AWS_ACCOUNTS
        or bool(_INSTANCE_TYPE.fullmatch(value))
        or is_model_id(value)
        or bool(_DEVICE.fullmatch(value))
        or value.startswith(AWS_NAMESPACE_PREFIX)
        or (value.startswith("arn:") and is_public_arn(value))
        or ("." in value and is_aws_domain(value) and _all_public_labels(value))
    )


def aws_suffix(host: str) -> str | None:
    """The AWS domain HOST is under (any case, trailing dot allowed), or None."""
    host = host.lower().rstrip(".")
    return next((d for d in AWS_DOMAINS if host == d or host.endswith("." + d)), None)


def _all_public_labels(host: str) -> bool:
    """sqs.us-east-1.amazonaws.com: every label is a service, region or AWS word."""
    suffix = aws_suffix(host)
    if suffix is None:
        return False
    host = host.lower().rstrip(".")
    labels = host[: -len(suffix)].rstrip(".").split(".") if host != suffix else []
    return all(is_public_host_label(label) for label in labels if label)


def is_public_host_label(label: str) -> bool:
    return (
        label in AWS_HOST_WORDS
        or label in endpoint_prefixes()
        or is_region_or_zone(label)
        or (label.startswith(("s3-", "ec2-")) and is_region_or_zone(label[3:]))
    )


# Inside such a structure, only these members hold AWS's own names (an alarm's AlarmName and
# a dimension's Value stay data).
PUBLIC_NAME_MEMBERS = frozenset({"MetricName", "Name", "PolicyName", "Path"})


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


# Words that recur as structure in every cassette whatever the service: path and key parts such
# as list/, keys/, in/, prod/ identify nobody. The service model adds its own (model_words).
_GENERIC = """
    a an and app api apps archive archives backup backups batch bin bucket build cache common
    config configs content current daily data default dev docs download downloads export exports
    file files first home images import imports in incoming input inputs internal item items
    key keys latest list lists local log logs main manifest media monthly new old out outgoing
    output outputs private prod production public qa raw reports results root shared source src
    stage staging static system temp test tests tmp token tokens upload uploads user users v1 v2
    var weekly www example test invalid localhost corp intra intranet lan com net org io
    mail smtp email
"""
GENERIC_WORDS = frozenset(_GENERIC.split())
_MODEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


@cache
def model_words(service: str) -> frozenset[str]:
    """Lowercased words of one service's model: operation, shape and member names, enum values
    and URI path literals. A name part that is one of them (`list`, `hostedzone`) is structure
    shared by every account, not an identifying value."""
    from pagetape.specs import botocore_session

    try:
        model = botocore_session().get_service_model(service)
    except Exception:
        return GENERIC_WORDS
    words: set[str] = {*GENERIC_WORDS, service, *service.split("-")}

    def add(text: str) -> None:
        words.update(w.lower() for w in _MODEL_WORD.findall(text))

    for name in model.operation_names:
        add(name)
        uri = model.operation_model(name).http.get("requestUri", "")
        for part in re.split(r"[/?&=]", uri):
            if part and not part.startswith("{"):
                words.add(part.lower())
    for shape_name in model.shape_names:
        shape = model.shape_for(shape_name)
        add(shape_name)
        for member in getattr(shape, "members", {}):
            add(member)
        for value in getattr(shape, "enum", None) or []:
            words.add(str(value).lower())
    return frozenset(words)
