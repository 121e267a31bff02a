"""The catalogue of AWS's own formats and values: what pagetape knows of AWS, as data.

`data/catalogue.json` lists, each entry with its source (a botocore data file or shape, an AWS
documentation page): resource-id formats (prefix, alphabet, lengths), host shapes (Route 53
name servers, RDS cluster labels, ELB and VPC endpoint DNS names), ARN layouts, public names
(alias/aws/*, /aws/service/*, default groups), AWS-owned accounts, per-region hosted zone ids,
documentation and redaction placeholders, reserved networks and domains, secret-looking key
words. What the installed botocore holds (regions, DNS suffixes, endpoint prefixes, operation
names) is read from botocore here, never typed by hand. The detectors (`pagetape.sanitize.rules`,
`pagetape.sanitize.detect`), the public vocabulary (`pagetape.sanitize.vocabulary`), the pseudonymizer and
`verify` read AWS through this module only, so a new format is one entry and a test.

Loaded once and decoded into frozen msgspec Structs; every lookup is cached.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import msgspec

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
VERSION = 1


class _Entry(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Every catalogue entry says where its facts come from."""

    source: str


class Alphabet(_Entry, kw_only=True, frozen=True):
    chars: str


class Segment(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One run of an id's alphabet: of the exact LENGTHS, else of MIN to MAX characters."""

    lengths: tuple[int, ...] = ()
    min: int = 0
    max: int = 0

    def sizes(self) -> str:
        if self.lengths:
            return "|".join(f"{{{n}}}" for n in sorted(self.lengths, reverse=True))
        return f"{{{self.min},{self.max}}}"

    def fits(self, n: int) -> bool:
        return n in self.lengths if self.lengths else self.min <= n <= self.max


class ModelRef(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A botocore shape whose pattern the format follows (checked by the tests)."""

    service: str
    shape: str


class IdFormat(_Entry, kw_only=True, frozen=True):
    """An identifier AWS mints: PREFIX (after the region when REGION_PREFIX), then SEGMENTS of
    ALPHABET joined by SEPARATOR. RULE is the detector that finds it; a fake keeps the prefix,
    the separators, each segment's length and the alphabet. SHARES names the format whose id
    the first segment is (an OU's root part), so both get one fake."""

    name: str
    rule: str
    prefixes: tuple[str, ...]
    alphabet: str
    segments: tuple[Segment, ...]
    separator: str = "-"
    region_prefix: bool = False
    min_digits: int = 0
    min_letters: int = 0
    shares: str | None = None
    example: str
    model: tuple[ModelRef, ...] = ()


class HostShape(_Entry, kw_only=True, frozen=True):
    """Host names of one AWS kind (HOST, a regular expression over the lower-case name): wholly
    AWS's own (PUBLIC), or with structure WORDS and resource labels laid out as LABEL, whose
    named groups say what each part is (keep: AWS's; name: a name, faked as everywhere else;
    id: an identifier, faked in its format)."""

    name: str
    host: str
    public: bool = False
    words: frozenset[str] = frozenset()
    label: str | None = None
    example: str


class DomainGroup(_Entry, kw_only=True, frozen=True):
    domains: tuple[str, ...]
    pattern: str | None = None


class WordGroup(_Entry, kw_only=True, frozen=True):
    words: frozenset[str]


class RegionLabels(_Entry, kw_only=True, frozen=True):
    joined_prefixes: tuple[str, ...]
    short_code_words: dict[str, str]
    zone_id_pattern: str


class ServicePrincipals(_Entry, kw_only=True, frozen=True):
    extra: tuple[str, ...]


class EndpointServices(_Entry, kw_only=True, frozen=True):
    patterns: tuple[str, ...]
    example: str


class PublicNames(_Entry, kw_only=True, frozen=True):
    """AWS's names: whole VALUES, names matching PATTERN or starting with PREFIXES; a name
    after one of NAME_PREFIXES is the customer's (AWSReservedSSO_<permission set>_<id>)."""

    prefixes: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    pattern: str | None = None
    name_prefixes: tuple[str, ...] = ()
    example: str


class ArnResources(_Entry, kw_only=True, frozen=True):
    """What is AWS's own inside the resource part of one service's ARNs; UNTYPED: the resource
    part starts with a name, not a resource type (an SNS topic, an SQS queue)."""

    service: str
    untyped: bool = False
    principal_types: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    public_prefixes: tuple[str, ...] = ()


class AwsAccount(_Entry, kw_only=True, frozen=True):
    account: str
    owner: str


class HostedZones(_Entry, kw_only=True, frozen=True):
    service: str
    zones: dict[str, str]


class Placeholder(_Entry, kw_only=True, frozen=True):
    value: str
    kind: str


class PlaceholderSuffix(_Entry, kw_only=True, frozen=True):
    rules: tuple[str, ...]
    suffix: str


class Placeholders(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    values: tuple[Placeholder, ...]
    suffixes: tuple[PlaceholderSuffix, ...]


class Redactions(_Entry, kw_only=True, frozen=True):
    values: frozenset[str]
    filler: str
    min_run: int


class Network(_Entry, kw_only=True, frozen=True):
    cidr: str


class Networks(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    harmless: tuple[Network, ...]
    private: tuple[Network, ...]
    fake: tuple[Network, ...]


class ReservedDomains(_Entry, kw_only=True, frozen=True):
    domains: tuple[str, ...]


class Tlds(_Entry, kw_only=True, frozen=True):
    tlds: tuple[str, ...]
    second_level: frozenset[str]


class SecretKeys(_Entry, kw_only=True, frozen=True):
    last_words: frozenset[str]
    last_pairs: frozenset[tuple[str, str]]
    credential_last_words: frozenset[str]
    personal_last_words: frozenset[str]


class ModelIds(_Entry, kw_only=True, frozen=True):
    providers: tuple[str, ...]
    geo_prefixes: tuple[str, ...]


class ValueFormat(_Entry, kw_only=True, frozen=True):
    name: str
    pattern: str
    example: str


class PublicContext(_Entry, kw_only=True, frozen=True):
    members: frozenset[str]


class Pairs(_Entry, kw_only=True, frozen=True):
    keys: tuple[str, ...]
    named_keys: frozenset[str]  # a pair's key in a structure of any size
    max_members: int  # Key/Name are a pair's key only in structures this small
    values: tuple[str, ...]
    references: tuple[str, ...]


class MemberGroup(_Entry, kw_only=True, frozen=True):
    members: frozenset[str]


class DataPlane(_Entry, kw_only=True, frozen=True):
    shapes: tuple[ModelRef, ...]


class AwsMembers(_Entry, kw_only=True, frozen=True):
    """Members of SERVICE whose value AWS sets to its own, the same for every account (the
    hosted zone of a load balancer's region): kept wherever they are, by what they mean."""

    service: str
    members: frozenset[str]


class IdPaths(_Entry, kw_only=True, frozen=True):
    """Literal paths AWS writes before an id (/hostedzone/): kept; the id after is faked."""

    prefixes: tuple[str, ...]


class InjectedParam(_Entry, kw_only=True, frozen=True):
    """A parameter botocore itself adds to OPERATIONS' requests when the caller gives none (S3's
    EncodingType=url): in a recorded request, not among what the caller passed."""

    service: str
    operations: tuple[str, ...]
    member: str
    value: str
    encoded_members: frozenset[str] = frozenset()  # response members it makes URL-encoded


class FaultCode(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The error a protocol or a service answers a fault kind with (status and message: the
    kind's own when not given)."""

    code: str
    status: int | None = None
    message: str | None = None


class FaultKind(_Entry, kw_only=True, frozen=True):
    """A failure AWS makes a call suffer, injected on replay (`pagetape.replay.faults`). A
    transport fault RAISES botocore's exception of that name; a service fault answers with the
    error of the service (SERVICES), else the first of MODELED the service models (with its
    modelled status), else its protocol's (PROTOCOLS), in the protocol's error body."""

    kind: str
    raises: str | None = None
    status: int = 0
    fault_type: str = "Sender"  # a query error body's <Type>
    message: str = ""
    modeled: tuple[str, ...] = ()
    protocols: dict[str, FaultCode] = msgspec.field(default_factory=dict)
    services: dict[str, FaultCode] = msgspec.field(default_factory=dict)


class Catalogue(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    pagetape_catalogue: int
    about: str
    alphabets: dict[str, Alphabet]
    id_formats: tuple[IdFormat, ...]
    host_shapes: tuple[HostShape, ...]
    aws_domains: tuple[DomainGroup, ...]
    host_words: tuple[WordGroup, ...]
    region_labels: RegionLabels
    service_principals: ServicePrincipals
    endpoint_services: EndpointServices
    public_names: tuple[PublicNames, ...]
    arn_resources: tuple[ArnResources, ...]
    aws_accounts: tuple[AwsAccount, ...]
    hosted_zones: tuple[HostedZones, ...]
    placeholders: Placeholders
    redactions: Redactions
    networks: Networks
    reserved_domains: ReservedDomains
    tlds: Tlds
    secret_keys: SecretKeys
    generic_words: WordGroup
    model_ids: ModelIds
    value_formats: tuple[ValueFormat, ...]
    public_context: PublicContext
    pairs: Pairs
    error_code_members: MemberGroup
    data_plane: DataPlane
    aws_members: tuple[AwsMembers, ...]
    id_paths: IdPaths
    dns_labels: WordGroup
    injected_params: tuple[InjectedParam, ...]
    faults: tuple[FaultKind, ...]


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped in the wheel, decoded once (a malformed file fails here, with the
    path of the bad member)."""
    raw = resources.files("pagetape").joinpath("data", "catalogue.json").read_bytes()
    found = msgspec.json.decode(raw, type=Catalogue)
    if found.pagetape_catalogue != VERSION:
        raise ValueError(f"catalogue.json is version {found.pagetape_catalogue}, not {VERSION}")
    return found


# -- what the installed botocore knows ---------------------------------------------------------


@cache
def _loader() -> Any:
    from botocore.loaders import create_loader

    return create_loader()


@cache
def _endpoint_partitions() -> list[Any]:
    """The partitions of botocore's endpoints.json (regions, services, dnsSuffix)."""
    return list(_loader().load_data("endpoints").get("partitions", []))


@cache
def _partitions() -> list[Any]:
    """The partitions of botocore's partitions.json (regions, outputs.dnsSuffix)."""
    return list(_loader().load_data("partitions").get("partitions", []))


@cache
def regions() -> frozenset[str]:
    """Every region botocore's endpoint and partition data name, in every partition."""
    found: set[str] = set()
    for partition in (*_endpoint_partitions(), *_partitions()):
        found.update(partition.get("regions", {}))
    return frozenset(found)


@cache
def endpoint_prefixes() -> frozenset[str]:
    """Service endpoint prefixes (host labels such as `sqs`, `s3`, `bedrock-runtime`)."""
    return frozenset(s for p in _endpoint_partitions() for s in p.get("services", {}))


@cache
def dns_suffixes() -> frozenset[str]:
    """The DNS suffixes of every partition (amazonaws.com, api.aws, amazonaws.com.cn, ...)."""
    found = [p.get("dnsSuffix") for p in _endpoint_partitions()]
    for partition in _partitions():
        outputs = partition.get("outputs", {})
        found += [outputs.get("dnsSuffix"), outputs.get("dualStackDnsSuffix")]
    return frozenset(s for s in found if isinstance(s, str))


# -- identifiers ---------------------------------------------------------------------------------


def alphabet(name: str) -> str:
    return catalogue().alphabets[name].chars


def _char_class(chars: str) -> str:
    return "".join(re.escape(c) for c in chars)


_REGION = r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]"


def _segment_pattern(cls: str, segment: Segment) -> str:
    if segment.lengths:
        sizes = sorted(segment.lengths, reverse=True)
        return "(?:" + "|".join(f"[{cls}]{{{n}}}" for n in sizes) + ")"
    return f"[{cls}]{{{segment.min},{segment.max}}}"


def format_pattern(fmt: IdFormat) -> str:
    """The regular expression of one format, without boundaries."""
    cls = _char_class(alphabet(fmt.alphabet))
    body = re.escape(fmt.separator).join(_segment_pattern(cls, s) for s in fmt.segments)
    prefixes = sorted(fmt.prefixes, key=len, reverse=True)
    prefix = "(?:" + "|".join(re.escape(p) for p in prefixes) + ")" if any(prefixes) else ""
    region = _REGION if fmt.region_prefix else ""
    return f"{region}{prefix}{body}"


def format_named(name: str) -> IdFormat:
    return next(f for f in catalogue().id_formats if f.name == name)


@cache
def id_prefix_words() -> frozenset[str]:
    """The prefixes of AWS's id formats as words (`eni`, `eni-attach`, `vpce`): a word of text
    equal to one is AWS's vocabulary, kept as the prefix of every id is."""
    return frozenset(
        p.rstrip("-_:") for f in catalogue().id_formats for p in f.prefixes if p.rstrip("-_:")
    )


def formats(rule: str | None = None) -> tuple[IdFormat, ...]:
    return tuple(f for f in catalogue().id_formats if rule is None or f.rule == rule)


@cache
def rule_pattern(rule: str) -> str:
    """The detector pattern of RULE: every format of the rule, each bounded so that an id is
    never found inside a longer word (by letters, digits and the punctuation of its own
    prefix and separators)."""
    return "|".join(_bounded(f) for f in formats(rule))


def _bounded(fmt: IdFormat) -> str:
    edge = {c for p in (*fmt.prefixes, fmt.separator) for c in p if not c.isalnum()}
    if fmt.region_prefix:
        edge |= {"-", "_"}
    bound = "A-Za-z0-9" + _char_class("".join(sorted(edge)))
    return f"(?<![{bound}]){format_pattern(fmt)}(?![{bound}])"


@cache
def _compiled_formats() -> tuple[tuple[IdFormat, re.Pattern[str]], ...]:
    return tuple((f, re.compile(format_pattern(f))) for f in catalogue().id_formats)


@lru_cache(maxsize=1 << 14)
def format_of(value: str, rule: str | None = None) -> IdFormat | None:
    """The catalogue format VALUE is written in (of RULE when given), or None."""
    for fmt, pattern in _compiled_formats():
        if (rule is None or fmt.rule == rule) and pattern.fullmatch(value):
            return fmt
    return None


@cache
def _formats_by_shape() -> dict[tuple[str, str], tuple[IdFormat, ...]]:
    out: dict[tuple[str, str], list[IdFormat]] = {}
    for fmt in catalogue().id_formats:
        for ref in fmt.model:
            out.setdefault((ref.service, ref.shape), []).append(fmt)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1 << 14)
def model_format(service: str, shape: str, pattern: str | None, value: str) -> IdFormat | None:
    """The format of VALUE when the model says it is an id: the member's SHAPE is one the
    catalogue lists for the format, or its PATTERN spells the format's prefix (`^(r-[0-9a-z]
    {4,32})|(ou-...)$` of ParentId). The model is the evidence `well_formed` needs in free
    text, so `r-abcd` is a root id here although it has no digit."""
    listed = _formats_by_shape().get((service, shape), ())
    candidates = _spelled_in(pattern) if pattern else ()
    if not listed and not candidates:
        return None
    for fmt, compiled in _compiled_formats():
        if (fmt in listed or fmt in candidates) and compiled.fullmatch(value):
            return fmt
    return None


@lru_cache(maxsize=1 << 12)
def _spelled_in(pattern: str) -> tuple[IdFormat, ...]:
    """The formats whose prefix a model PATTERN spells (`r-` in RootId's)."""
    return tuple(f for f in catalogue().id_formats if any(p and p in pattern for p in f.prefixes))


def split_id(fmt: IdFormat, value: str) -> tuple[str, str, list[str]]:
    """(region, prefix, [each segment]) of VALUE written in FMT; the region is empty unless the
    format starts with one (a Cognito user pool id)."""
    region = ""
    rest = value
    if fmt.region_prefix:
        m = re.match(_REGION, rest)
        if m is not None:
            region, rest = m.group(0), rest[m.end() :]
    prefix = max((p for p in fmt.prefixes if rest.startswith(p)), key=len, default="")
    rest = rest[len(prefix) :]
    return region, prefix, rest.split(fmt.separator) if fmt.separator else [rest]


def well_formed(fmt: IdFormat, value: str) -> bool:
    """The checks a pattern cannot make: enough digits and letters (r-prod is a word, r-a1b2 a
    root id), and a real region before a Cognito user pool id."""
    region, _, segments = split_id(fmt, value)
    body = "".join(segments)
    if sum(c.isdigit() for c in body) < fmt.min_digits:
        return False
    if sum(c.isalpha() for c in body) < fmt.min_letters:
        return False
    return not fmt.region_prefix or region in regions()


# -- placeholders and redactions ---------------------------------------------------------------


@cache
def _placeholders() -> frozenset[str]:
    return frozenset(p.value for p in catalogue().placeholders.values)


@lru_cache(maxsize=1 << 14)
def is_placeholder(value: str, rule: str | None = None) -> bool:
    """AWS's documentation placeholders (123456789012, AKIAIOSFODNN7EXAMPLE, ids ending in
    EXAMPLE) and values already redacted (000000000000, REDACTED, XXXX): fake already."""
    if value in _placeholders() or is_redacted(value):
        return True
    for entry in catalogue().placeholders.suffixes:
        if value.endswith(entry.suffix) and (rule is None or rule in entry.rules):
            fmt = format_of(value)
            if (fmt is not None and fmt.rule in entry.rules) or (
                "secret_key" in entry.rules and len(value) == 40
            ):
                return True
    return False


def is_redacted(value: str) -> bool:
    """A value a fixture author already redacted: listed (000000000000, REDACTED), or a run of
    filler characters (XXXX, ****), after a key's four-letter prefix at most (AKIAXXXX...)."""
    r = catalogue().redactions
    if value in r.values:
        return True
    core = value[4:] if len(value) > 4 and value[:4].isalpha() and value[:4].isupper() else value
    return len(core) >= r.min_run and all(c in r.filler for c in core)


# -- accounts, hosted zones, public names ---------------------------------------------------------


@cache
def aws_accounts() -> frozenset[str]:
    """Accounts (and owner aliases) of AWS itself and of the public publishers of AMIs and
    Lambda layers: `aws`, `amazon`, 580247275435 (Lambda Insights), ..."""
    return frozenset(a.account for a in catalogue().aws_accounts)


def is_aws_account(account: str) -> bool:
    return account in aws_accounts()


@cache
def hosted_zone_ids() -> frozenset[str]:
    """Route 53 hosted zone ids of AWS's own endpoints (ELB, S3 websites, CloudFront, ...)."""
    return frozenset(z for entry in catalogue().hosted_zones for z in entry.zones.values())


@cache
def _public_names() -> tuple[tuple[str, ...], frozenset[str], re.Pattern[str] | None]:
    entries = catalogue().public_names
    prefixes = tuple(p for e in entries for p in e.prefixes)
    values = frozenset(v for e in entries for v in e.values)
    patterns = [e.pattern for e in entries if e.pattern]
    return prefixes, values, re.compile("|".join(patterns)) if patterns else None


@lru_cache(maxsize=1 << 14)
def is_public_name(value: str) -> bool:
    """A name AWS defines for every account: alias/aws/s3, /aws/service/..., AWS/EC2, aws:
    tags, the `default` security group, default.postgres15, default:mysql-8-0."""
    prefixes, values, pattern = _public_names()
    if value in values or (pattern is not None and pattern.fullmatch(value)):
        return True
    return value.startswith(prefixes) and any(
        value.startswith(p) and len(value) > len(p) for p in prefixes
    )


def name_prefix(value: str) -> str | None:
    """The prefix AWS puts before a customer's name in VALUE (AWSReservedSSO_), if any."""
    prefixes = (p for e in catalogue().public_names for p in e.name_prefixes)
    return next((p for p in prefixes if value.startswith(p) and len(value) > len(p)), None)


@cache
def _endpoint_service_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in catalogue().endpoint_services.patterns)


@lru_cache(maxsize=1 << 14)
def is_endpoint_service(value: str) -> bool:
    """A VPC endpoint service name of AWS (com.amazonaws.us-east-1.s3); one of a customer
    (com.amazonaws.vpce.us-east-1.vpce-svc-0123...) is not."""
    for pattern in _endpoint_service_patterns():
        m = pattern.fullmatch(value)
        if m is None:
            continue
        groups = m.groupdict()
        if "region" in groups and groups["region"] not in regions():
            continue
        labels = groups.get("service", "").split(".")
        if all(label in endpoint_prefixes() or label in host_words() for label in labels):
            return True
    return False


@cache
def arn_resources() -> dict[str, ArnResources]:
    return {entry.service: entry for entry in catalogue().arn_resources}


def arn_layout(service: str) -> ArnResources | None:
    return arn_resources().get(service)


@cache
def principal_types() -> frozenset[str]:
    """Resource types of IAM and STS ARNs that name a principal (role/, user/, assumed-role/)."""
    return frozenset(t for e in catalogue().arn_resources for t in e.principal_types)


@cache
def well_known_words() -> frozenset[str]:
    """Words AWS defines inside names and ARNs (aws-service-role, root): never faked."""
    return frozenset({"aws", *arn_resources()["iam"].words})


def public_arn_resource(service: str, resource: str) -> bool:
    """The resource part of an ARN is AWS's own (alias/aws/s3, parameter/aws/service/...)."""
    layout = arn_layout(service)
    return layout is not None and any(resource.startswith(p) for p in layout.public_prefixes)


# -- hosts -------------------------------------------------------------------------------------


@cache
def aws_domains() -> tuple[str, ...]:
    """Domains AWS owns, longest first: the catalogue's and every partition's DNS suffixes."""
    found = {d for group in catalogue().aws_domains for d in group.domains} | dns_suffixes()
    return tuple(sorted(found, key=lambda d: (-d.count("."), d)))


@cache
def _domain_patterns() -> re.Pattern[str] | None:
    patterns = [g.pattern for g in catalogue().aws_domains if g.pattern]
    return re.compile("|".join(patterns)) if patterns else None


def aws_suffix(host: str) -> str | None:
    """The AWS domain HOST is under (any case, trailing dot allowed), or None."""
    host = host.lower().rstrip(".")
    found = next((d for d in aws_domains() if host == d or host.endswith("." + d)), None)
    if found is not None:
        return found
    pattern = _domain_patterns()
    if pattern is not None:
        labels = host.split(".")
        for i in range(len(labels)):
            tail = ".".join(labels[i:])
            if pattern.fullmatch(tail):
                return tail
    return None


@cache
def host_words() -> frozenset[str]:
    words: set[str] = set()
    for group in catalogue().host_words:
        words |= group.words
    for shape in catalogue().host_shapes:
        words |= shape.words
    return frozenset(words)


@cache
def _host_shapes() -> tuple[tuple[HostShape, re.Pattern[str], re.Pattern[str] | None], ...]:
    return tuple(
        (s, re.compile(s.host), re.compile(s.label) if s.label else None)
        for s in catalogue().host_shapes
    )


@lru_cache(maxsize=1 << 14)
def host_shape(host: str) -> HostShape | None:
    """The catalogue's shape of HOST (lower-cased, trailing dot dropped), or None."""
    name = host.lower().rstrip(".")
    return next((s for s, pattern, _ in _host_shapes() if pattern.fullmatch(name)), None)


def label_parts(shape: HostShape, label: str) -> list[tuple[str, str]] | None:
    """A resource LABEL of SHAPE cut into (role, text) parts: role keep (AWS's own), name or id;
    None when the shape lays out no such label."""
    pattern = next((lp for s, _, lp in _host_shapes() if s is shape), None)
    m = pattern.fullmatch(label) if pattern is not None else None
    if m is None:
        return None
    out: list[tuple[str, str]] = []
    last = 0
    for name in sorted(m.groupdict(), key=lambda g: m.start(g)):
        if m.group(name) is None:
            continue
        if m.start(name) > last:
            out.append(("keep", label[last : m.start(name)]))
        out.append((name.rstrip("0123456789"), m.group(name)))
        last = m.end(name)
    if last < len(label):
        out.append(("keep", label[last:]))
    return out


@cache
def region_short_codes() -> frozenset[str]:
    """Region codes of zone ids and ElastiCache host names (us-east-1 -> use1, ap-northeast-1
    -> apne1), built from botocore's regions with the catalogue's direction abbreviations."""
    words = catalogue().region_labels.short_code_words
    codes: set[str] = set()
    for region in regions():
        parts = region.split("-")
        if len(parts) < 3 or not parts[-1].isdigit():
            continue
        middle = [words.get(p) for p in parts[1:-1]]
        if all(m is not None for m in middle):
            codes.add(parts[0] + "".join(m for m in middle if m) + parts[-1])
    return frozenset(codes)


@cache
def _zone_id() -> re.Pattern[str]:
    return re.compile(catalogue().region_labels.zone_id_pattern)


def is_zone_id(value: str) -> bool:
    """An Availability, Local or Wavelength Zone id (use1-az1, use1-bos1-az1)."""
    m = _zone_id().fullmatch(value)
    return m is not None and m.group("code") in region_short_codes()


def region_joined_prefixes() -> tuple[str, ...]:
    return catalogue().region_labels.joined_prefixes


@cache
def service_principals() -> frozenset[str]:
    """<service>.amazonaws.com principals: every endpoint prefix of botocore's endpoint data and
    the catalogue's others (ecs-tasks, edgelambda, delivery.logs)."""
    names = endpoint_prefixes() | set(catalogue().service_principals.extra)
    return frozenset(
        f"{n}.{suffix}" for n in names for suffix in ("amazonaws.com", "amazonaws.com.cn")
    )


# -- networks, domains, keys, words ------------------------------------------------------------


def _nets(entries: tuple[Network, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(e.cidr) for e in entries)


@cache
def harmless_networks() -> tuple[IPNetwork, ...]:
    """Addresses that identify nobody: loopback, documentation ranges, multicast, AWS's
    instance-local services (metadata, DNS, time)."""
    return _nets(catalogue().networks.harmless)


@cache
def private_networks() -> tuple[IPNetwork, ...]:
    """Non-public ranges, whose fakes stay inside them (RFC 1918, shared, link-local, ULA)."""
    return _nets(catalogue().networks.private)


@cache
def fake_networks() -> tuple[IPNetwork, ...]:
    """Where public addresses are faked to: a fake in them proves itself."""
    return _nets(catalogue().networks.fake)


def reserved_domains() -> tuple[str, ...]:
    return catalogue().reserved_domains.domains


def is_reserved_domain(host: str) -> bool:
    """HOST is, or is under, a domain reserved for documentation and tests (example.com)."""
    return any(host == d or host.endswith("." + d) for d in reserved_domains())


def tlds() -> tuple[str, ...]:
    return catalogue().tlds.tlds


def second_level_suffixes() -> frozenset[str]:
    return catalogue().tlds.second_level


def secret_last_words() -> frozenset[str]:
    return catalogue().secret_keys.last_words


def secret_last_pairs() -> frozenset[tuple[str, str]]:
    return catalogue().secret_keys.last_pairs


def credential_last_words() -> frozenset[str]:
    return catalogue().secret_keys.credential_last_words


def personal_last_words() -> frozenset[str]:
    return catalogue().secret_keys.personal_last_words


def generic_words() -> frozenset[str]:
    return catalogue().generic_words.words


def model_providers() -> tuple[str, ...]:
    return catalogue().model_ids.providers


def model_geo_prefixes() -> tuple[str, ...]:
    return catalogue().model_ids.geo_prefixes


def value_format(name: str) -> str:
    return next(f.pattern for f in catalogue().value_formats if f.name == name)


def public_context_members() -> frozenset[str]:
    return catalogue().public_context.members


def pairs() -> Pairs:
    """The members of key/value structures: the value's treatment follows what the key says."""
    return catalogue().pairs


def error_code_members() -> frozenset[str]:
    return catalogue().error_code_members.members


@cache
def data_plane_shapes() -> frozenset[tuple[str, str]]:
    """(service, shape) of data-plane payloads: customer data whatever their words."""
    return frozenset((ref.service, ref.shape) for ref in catalogue().data_plane.shapes)


@cache
def aws_members(service: str) -> frozenset[str]:
    """The members of SERVICE that hold AWS's own values (CanonicalHostedZoneId of elbv2)."""
    return frozenset(m for e in catalogue().aws_members if e.service == service for m in e.members)


@cache
def injected_params(service: str, operation: str) -> dict[str, str]:
    """The parameters botocore adds to SERVICE OPERATION's requests itself, by member name, with
    the value it adds: not the caller's, so neither shown nor passed again on replay."""
    return {
        e.member: e.value
        for e in catalogue().injected_params
        if e.service == service and operation in e.operations
    }


@cache
def encoded_members(service: str, operation: str) -> frozenset[str]:
    """Response members of SERVICE OPERATION that come URL-encoded because of a parameter
    botocore injects (S3 keys under EncodingType=url): sanitized decoded, then encoded again."""
    return frozenset(
        m
        for e in catalogue().injected_params
        if e.service == service and operation in e.operations
        for m in e.encoded_members
    )


@cache
def fault_kinds() -> dict[str, FaultKind]:
    """The fault kinds replay can inject, by name."""
    return {f.kind: f for f in catalogue().faults}


def without_injected(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """PARAMS without the ones botocore would add by itself (with the value it adds)."""
    injected = injected_params(service, operation)
    return {k: v for k, v in params.items() if injected.get(k, object()) != v}


def split_id_path(value: str) -> tuple[str, str]:
    """(AWS's literal path, the id after it) of /hostedzone/Z1D633PJN98FT9; ("", VALUE) when
    VALUE starts with no such path or has nothing after it."""
    prefix = next((p for p in catalogue().id_paths.prefixes if value.startswith(p)), "")
    rest = value[len(prefix) :]
    return (prefix, rest) if rest and "/" not in rest else ("", value)


def is_dns_label(label: str) -> bool:
    """An underscored DNS label that is protocol structure (_domainkey, _dmarc, _tcp)."""
    return label.lower() in catalogue().dns_labels.words


def sources() -> Iterator[tuple[str, str]]:
    """(where in the catalogue, its source) for every entry: what the tests check is set."""
    cat = catalogue()
    for name, value in msgspec.structs.asdict(cat).items():
        yield from _sources(name, value)


def _sources(where: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, _Entry):
        yield where, value.source
        return
    if isinstance(value, msgspec.Struct):
        for name, item in msgspec.structs.asdict(value).items():
            yield from _sources(f"{where}.{name}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (msgspec.Struct, dict, tuple)):
                yield from _sources(f"{where}.{key}", item)
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            if isinstance(item, (msgspec.Struct, dict, tuple)):
                yield from _sources(f"{where}[{i}]", item)
