"""The sanitization rules: each a small named thing with one job, listed by
`pagetape sanitize --list-rules` and switchable off by name (`--keep-rule NAME`).

Detector rules carry a pattern found inside any string (a field, free text, a URL). Field rules
act on values by where they sit in the botocore model. The default set is all of them: safe.
The patterns of AWS's own identifier formats and the top-level domains a host name ends in are
built from the catalogue (`pagetape.catalogue`), so a new format is a catalogue entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from pagetape import catalogue


@dataclass(frozen=True)
class Rule:
    """A named sanitization rule; `pattern` is set for rules that detect values inside text."""

    name: str
    description: str
    pattern: str | None = None


_TLDS = "|".join(catalogue.tlds())

# Order matters for detectors: the first alternative that matches at a position wins.
RULES: tuple[Rule, ...] = (
    Rule("headers", "drop every header but content type, operation target, error type and "
         "the headers the operation's output binds (credentials, dates, request ids, cookies)"),
    Rule("token", "replace pagination tokens whole by pagetape-token-NNNN, in request and "
         "response, body or query; the chain stays linked"),
    Rule("url", "fake URL path labels and query values by the operation's model"),
    Rule("embedded_url", "URLs inside values (http, database, JDBC, broker, ftp...): scheme, "
         "port, parameter names and AWS host labels kept; host, path and query values "
         "rewritten, passwords, presigned credentials and signatures replaced",
         r"(?:jdbc:)?(?:https?|postgres(?:ql)?|mysql|mariadb|sqlserver|redshift|mongodb(?:\+srv)?"
         r"|rediss?|amqps?|s?ftp|ssh|ldaps?|smtps?)://[^\s\"'<>\\^`{|}]+"),
    Rule("private_key", "replace PEM private key blocks",
         r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    Rule("jwt", "JSON web tokens: claims sanitized as JSON, signature replaced by a PAGETAPE one",
         r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"),
    Rule("arn", "rebuild ARNs part by part: partition, service, region and resource type kept, "
         "account and resource names faked; ARNs of account aws (managed policies) kept",
         r"arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:[0-9]{0,12}|aws):[^\s\"'<>,;()\[\]{}]+"),
    Rule("iam_principal", "fake IAM role, user and group names and paths inside IAM ARNs"),
    Rule("s3_uri", "fake S3 bucket names and key segments (file extensions kept)",
         r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](?:/[^\s\"'<>,;()\[\]{}]*)?"),
    Rule("email", "fake email addresses, plain or URL-encoded: local part and domain faked, "
         "top-level domain .example (reserved, never real)",
         r"[A-Za-z0-9._+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    Rule("access_key_id", "replace AWS access key ids (AKIA, ASIA) by obviously fake "
         "AKIAPAGETAPE... ones", catalogue.rule_pattern("access_key_id")),
    Rule("iam_unique_id", "fake IAM unique ids (AIDA users, AROA roles, ANPA policies ...) "
         "keeping prefix and length, PAGETAPE after the prefix",
         catalogue.rule_pattern("iam_unique_id")),
    Rule("well_known_secret", "replace tokens of well-known formats (GitHub, GitLab, Slack, "
         "Stripe, OpenAI, ...; patterns from detect-secrets) keeping prefix and length"),
    Rule("secret_key", "fake 40-character strings shaped like secret access keys",
         r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[0-9])(?=[A-Za-z0-9/+]*[a-z])"
         r"(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    Rule("canonical_user_id", "fake S3 canonical user ids (64 hexadecimal characters), still hex",
         catalogue.rule_pattern("canonical_user_id")),
    Rule("uuid", "fake UUIDs, still UUID-shaped and lowercase hex",
         r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
         r"[0-9a-fA-F]{12}(?![0-9a-fA-F])"),
    Rule("cognito_pool_id", "fake Cognito user pool ids keeping the region prefix "
         "(us-west-2_ and nine letters and digits)", catalogue.rule_pattern("cognito_pool_id")),
    Rule("resource_id", "fake resource ids of the catalogue's formats keeping prefix, length and "
         "alphabet (EC2 i-, vol-, sg-, sgr-, eni-attach-; EFS fs-; RDS db-, cluster- ...)",
         catalogue.rule_pattern("resource_id")),
    Rule("org_id", "fake AWS Organizations ids keeping prefix and alphabet (o-, ou-<root>-, r-, "
         "p-); an OU's root part is faked as the root id is", catalogue.rule_pattern("org_id")),
    Rule("mac_address", "fake MAC addresses, still six hexadecimal octets",
         catalogue.rule_pattern("mac_address")),
    Rule("ipv6", "replace IPv6 addresses and prefixes (IPv4-mapped ones included) by ones in "
         "2001:db8::/32 (documentation); unique-local and link-local ones stay in their range",
         r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})"
         r"(?:/\d{1,3})?(?![0-9A-Za-z:]|\.\d)"),
    Rule("ip_address", "replace IPv4 addresses (and CIDR blocks): private ones by private ones, "
         "prefix-preserving (a host stays in its subnet), public ones by 198.18.0.0/15",
         r"(?<!\d)(?<!\d\.)(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
         r"(?:/(?:3[0-2]|[12]?\d))?(?!\d|\.\d)"),
    Rule("hostname", "fake host names outside AWS-owned domains label by label (top-level "
         "domain kept); AWS host names keep service and region labels, and names that embed "
         "an address (ip-10-0-0-1.ec2.internal) embed the faked address",
         r"(?<![A-Za-z0-9.@_*-])(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
         r"(?i:" + _TLDS + r")\.?(?![A-Za-z0-9-]|\.[A-Za-z0-9])"),
    Rule("account_id", "fake 12-digit account ids (also written 1234-5678-9012), alone or "
         "inside names; fakes carry check digits so verify can prove them",
         r"(?<![\d-])\d{4}-\d{4}-\d{4}(?![\d-])|(?<!\d)\d{12}(?!\d)"),
    Rule("phone", "phone numbers (phonenumbers: international form anywhere, national form "
         "where it is clearly a phone): valid numbers of the same country in a fictional range"),
    Rule("card", "payment card numbers (Luhn, issuer prefix): test card numbers of the same "
         "brand, length and grouping"),
    Rule("national_id", "US social security and UK national insurance numbers, IBANs: fakes of "
         "the same form that are never issued"),
    Rule("secret_value", "replace values under secret-looking keys (passwords, tokens, API "
         "keys, sts:ExternalId, X-Amz-Signature) by pagetape-secret-... fakes"),
    Rule("name", "fake resource names and ids in identifier fields (members named ...Name, "
         "...Id, ...Arn, ...By, ...Path, plugin hints), keeping length and character classes"),
    Rule("free_text", "replace every identifier seen anywhere in the cassette where it recurs in "
         "free text: failure reasons, descriptions, error messages"),
)  # fmt: skip

BY_NAME = {rule.name: rule for rule in RULES}
DETECTOR_NAMES = tuple(rule.name for rule in RULES if rule.pattern)


def check_names(names: frozenset[str] | set[str]) -> None:
    """Refuse unknown rule names with the list of real ones (a typo must not keep a value)."""
    from pagetape.errors import UsageError

    unknown = sorted(set(names) - set(BY_NAME))
    if unknown:
        raise UsageError(
            f"unknown sanitization rule {', '.join(unknown)}; rules are {', '.join(BY_NAME)}"
        )
