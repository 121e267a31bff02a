"""The one detection engine: what identifies or authenticates, found inside any string.

The sanitizer rewrites what `scan` finds, the leak proof looks for what it replaced, and
`verify` runs the same `scan` over a written cassette and asks `is_fake` of each hit, so what
pagetape writes, `verify` accepts. Fakes of the kinds that matter most carry their own proof
(an account id's check digits, the reserved `.example` domain, the benchmark and documentation
address ranges, a PAGETAPE mark), so `verify` needs no trust in a list the file itself carries.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from pagetape import catalogue, personal, rules, vocabulary

FAKE_MARK = "PAGETAPE"
SECRET_FAKE_PREFIX = "pagetape-secret-"
FAKE_EMAIL_TLD = "example"
# Addresses, domains and key words are the catalogue's (its "networks", "reserved_domains" and
# "secret_keys"): keys whose values authenticate (Lambda environment variables, tags, policy
# conditions, presigned URL parameters) are decided by the key's last word or two: DB_PASSWORD,
# apiToken, sts:ExternalId, X-Amz-Signature, SecretAccessKey; not SecretName, TokenType or
# AccessKeyId. Pagination tokens are told apart by the model before this applies.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CHECK_SALT = b"pagetape-account-check:"
PERSONAL_KINDS = frozenset({"phone", "card", "national_id"})


def account_check(first8: str) -> str:
    """The four check digits of a fake account id: public, so anyone can prove a fake."""
    return f"{int.from_bytes(hashlib.sha256(_CHECK_SALT + first8.encode()).digest()[:4], 'big') % 10000:04d}"


def is_fake_account(value: str) -> bool:
    digits = value.replace("-", "")
    return len(digits) == 12 and digits.isdigit() and account_check(digits[:8]) == digits[8:]


def is_credential_key(key: str) -> bool:
    """A data key (a map or pair key, a URL query or document key; not a model member name)
    whose value authenticates: a secret-looking key, or a login name's key, half a credential
    (Glue USERNAME, a JDBC URL's user=; not a policy condition key such as aws:username)."""
    if is_secret_key(key):
        return True
    words = [w.lower() for w in _WORDS.findall(key)]
    return (
        ":" not in key
        and bool(words)
        and bool({words[-1], "".join(words[-2:])} & catalogue.credential_last_words())
    )


def is_secret_key(key: str) -> bool:
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return False
    return words[-1] in catalogue.secret_last_words() or (
        len(words) > 1 and (words[-2], words[-1]) in catalogue.secret_last_pairs()
    )


@dataclass(frozen=True)
class Hit:
    """One detected value: its rule (kind) and where it sits in the scanned text."""

    kind: str
    start: int
    end: int
    value: str


@lru_cache(maxsize=1024)
def _compiled(disabled: frozenset[str], secrets_up_to: int) -> re.Pattern[str] | None:
    """One alternation of the enabled detectors, in rule order; of the well-known token formats
    only those that fit in a run of SECRETS_UP_TO characters."""
    secrets = "|".join(p for p, width in _secret_widths() if width <= secrets_up_to)
    parts = []
    for rule in rules.RULES:  # in rule order, whichever are left out
        pattern = secrets if rule.name == "well_known_secret" else rule.pattern
        if pattern and rule.name not in disabled:
            parts.append(f"(?P<{rule.name}>{pattern})")
    return re.compile("|".join(parts)) if parts else None


def _pattern_for(text: str, disabled: frozenset[str]) -> re.Pattern[str] | None:
    """The detectors that can match somewhere in TEXT, by a character or a run length each one
    needs. One alternation of every detector tries each alternative at each position (70 us
    for a sentence holding nothing); leaving out those that cannot match changes no result
    (the others keep their order) and leaves most field values with nothing to run."""
    run = max(map(len, text.split()), default=0)  # the longest stretch without white space
    needs = (
        ("embedded_url", "://" in text),
        ("private_key", "-----BEGIN " in text),
        ("jwt", "eyJ" in text),
        ("arn", "arn:aws" in text),
        ("s3_uri", "s3://" in text),
        ("email", "@" in text or "%40" in text),
        ("access_key_id", run >= 20),
        ("iam_unique_id", run >= 20),
        ("secret_key", run >= 40),
        ("canonical_user_id", run >= 64),
        ("uuid", run >= 36),
        ("cognito_pool_id", "_" in text),
        ("resource_id", any(c in text for c in _punctuation("resource_id"))),
        ("org_id", "-" in text),
        ("mac_address", text.count(":") >= 5),
        ("ipv6", text.count(":") >= 2),
        ("ip_address", text.count(".") >= 3),
        ("hostname", "." in text),
        ("account_id", run >= 12),
    )
    absent = frozenset(kind for kind, possible in needs if not possible)
    widths = [w for _, w in _secret_widths() if w <= run]
    if not widths:
        absent |= {"well_known_secret"}
    return _compiled(disabled | absent, max(widths, default=0))


@cache
def _punctuation(rule: str) -> frozenset[str]:
    """The punctuation some prefix of RULE's catalogue formats holds (i-, sha256:): a text
    without any cannot hold one of its ids."""
    return frozenset(
        c for f in catalogue.formats(rule) for p in f.prefixes for c in p if not c.isalnum()
    )


@cache
def _secret_widths() -> tuple[tuple[str, int], ...]:
    """Each well-known token format with the fewest characters it matches, all of them without
    white space; a format that could span white space gets 0 (always tried)."""
    try:
        import re._parser as parser  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python 3.10
        import sre_parse as parser
    out = []
    for pattern in well_known_secret_patterns():
        bare = re.sub(r"\\[^sWD]", "", pattern)  # escapes that match no white space
        spans_space = any(t in bare for t in (" ", ".", "[^", "\\s", "\\W", "\\D"))
        out.append((pattern, 0 if spans_space else parser.parse(pattern).getwidth()[0]))
    return tuple(out)


@cache
def well_known_secret_patterns() -> tuple[str, ...]:
    """Token formats with a fixed prefix (GitHub, GitLab, Slack, Stripe, OpenAI, SendGrid, PyPI,
    Square, Twilio, Mailchimp, private key blocks), taken from detect-secrets' maintained plugins
    rather than written again here."""
    import importlib

    plugins = {
        "github_token": "GitHubTokenDetector", "gitlab_token": "GitLabTokenDetector",
        "slack": "SlackDetector", "stripe": "StripeDetector", "openai": "OpenAIDetector",
        "sendgrid": "SendGridDetector", "pypi_token": "PypiTokenDetector",
        "square_oauth": "SquareOAuthDetector", "twilio": "TwilioKeyDetector",
        "mailchimp": "MailchimpDetector", "discord": "DiscordBotTokenDetector",
    }  # fmt: skip
    allowed = re.IGNORECASE | re.UNICODE
    out: list[str] = []
    for module, name in plugins.items():
        try:
            detector = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)()
        except (ImportError, AttributeError):
            continue
        for pattern in detector.denylist:
            if pattern.flags & ~allowed & ~re.ASCII:
                continue
            text = re.sub(r"\((?!\?)", "(?:", pattern.pattern)  # no numbered groups inside
            scoped = f"(?i:{text})" if pattern.flags & re.IGNORECASE else f"(?:{text})"
            out.append(rf"(?<![A-Za-z0-9_]){scoped}(?![A-Za-z0-9_])")
    return tuple(out)


def scan(text: str, disabled: frozenset[str] = frozenset()) -> Iterator[Hit]:
    """Every detected value in TEXT, left to right, each validated (addresses parse, host names
    end in a real top-level domain) and public vocabulary left out; phone, card and national-id
    numbers (`pagetape.personal`) where no pattern matched."""
    hits = list(_hits(_pattern_for(text, disabled), text))
    extra = [
        Hit(f.kind, f.start, f.end, f.value)
        for f in personal.find(text)
        if f.kind not in disabled and not any(h.start < f.end and f.start < h.end for h in hits)
    ]
    return iter(sorted([*hits, *extra], key=lambda h: h.start) if extra else hits)


def _hits(pattern: re.Pattern[str] | None, text: str) -> Iterator[Hit]:
    if pattern is None:
        return
    for m in pattern.finditer(text):
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind in ("arn", "s3_uri", "url"):
            stripped = value.rstrip(".,;:)]}'\"")
            value = stripped
        if valid(kind, value):
            yield Hit(kind, m.start(), m.start() + len(value), value)


@lru_cache(maxsize=1 << 16)
def fullmatch(value: str, disabled: frozenset[str] = frozenset()) -> str | None:
    """The kind of VALUE when a detector matches all of it, else None. Cached: a chain repeats
    its values (states, ARNs, names) and both sanitizer passes ask about each."""
    for hit in scan(value, disabled):
        return hit.kind if hit.start == 0 and hit.end == len(value) else None
    return None


# Kinds whose matches are checked against a catalogue format (digits, letters, a real region).
_FORMAT_KINDS = frozenset(
    {"access_key_id", "iam_unique_id", "canonical_user_id", "cognito_pool_id", "resource_id",
     "org_id", "mac_address"}
)  # fmt: skip
_NO_MAC = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})


def valid(kind: str, value: str) -> bool:
    """Second look at a pattern match: the value really is of its kind and is not public (nor
    one of AWS's documentation placeholders or an already redacted value)."""
    if kind in ("ip_address", "ipv6"):
        address = _address(value)
        return address is not None and not harmless_address(value)
    if kind in _FORMAT_KINDS:
        fmt = catalogue.format_of(value, kind)
        if fmt is None or not catalogue.well_formed(fmt, value):
            return False
        if kind == "mac_address":
            return value.lower() not in _NO_MAC
        return not catalogue.is_placeholder(value, kind)
    if kind == "secret_key":
        # A path of 40 characters is no key (/accounts/123/flows/searchFlows).
        return (
            not value.startswith("/")
            and value.count("/") <= 3
            and not catalogue.is_placeholder(value, kind)
        )
    if kind == "hostname":
        host = value.rstrip(".").lower().removeprefix("*.")
        if catalogue.is_reserved_domain(host):
            return False
        return not vocabulary.is_public_value(host) and not vocabulary.is_model_id(host)
    if kind == "account_id":
        return not catalogue.is_aws_account(value) and not catalogue.is_placeholder(value)
    if kind == "email":
        domain = value.replace("%40", "@").rpartition("@")[2].lower()
        return not catalogue.is_reserved_domain(domain) and not vocabulary.is_public_value(value)
    if kind == "arn":
        return not vocabulary.is_public_arn(value)
    return True


def harmless_address(value: str) -> bool:
    """Addresses and blocks that identify nobody: loopback, unspecified, documentation and
    benchmark ranges, multicast, AWS's instance-local services (the catalogue's harmless
    networks), any block wider than a /16 (10.0.0.0/8, 0.0.0.0/0: routing rules, not hosts)
    and a private range written whole (192.168.0.0/16, fc00::/7)."""
    address = _address(value)
    if address is None:
        return False
    _, slash, length = value.partition("/")
    if slash and length.isdigit():
        if address.version == 4 and int(length) < 16:
            return True
        try:
            block = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        wholes = (n for n in catalogue.private_networks() if n.version == block.version)
        if any(n.subnet_of(block) for n in wholes):  # type: ignore[arg-type]
            return True
    return any(address in net for net in catalogue.harmless_networks())


def is_private_address(value: str) -> bool:
    """In a non-public range (RFC 1918, shared, link-local, unique local): fakes stay inside."""
    address = _address(value)
    return address is not None and any(address in n for n in catalogue.private_networks())


def is_fake_address(value: str) -> bool:
    """In a range public addresses are faked to (198.18.0.0/15, 2001:db8::/32)."""
    address = _address(value)
    return address is not None and any(address in n for n in catalogue.fake_networks())


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value[:1].isdigit() and ":" not in value:  # no address (asked of every string)
        return None
    try:
        return ipaddress.ip_address(value.partition("/")[0])
    except ValueError:
        return None


def is_fake(kind: str, value: str, listed: Iterable[str] | frozenset[str] = frozenset()) -> bool:
    """Is VALUE, found by KIND, one of pagetape's fakes? Proven by its form where the kind allows
    it; names, host names, resource ids and private addresses fall back to the cassette's list.
    AWS's documentation placeholders and redacted values are fake already."""
    listed = listed if isinstance(listed, (set, frozenset)) else frozenset(listed)
    if catalogue.is_placeholder(value, kind):
        return True
    if kind == "account_id":
        return is_fake_account(value) or catalogue.is_aws_account(value)
    if kind == "email":
        domain = value.replace("%40", "@").rpartition("@")[2].lower()
        return domain == FAKE_EMAIL_TLD or domain.endswith("." + FAKE_EMAIL_TLD)
    if kind in ("access_key_id", "iam_unique_id", "secret_key", "well_known_secret"):
        return FAKE_MARK in value
    if kind == "jwt":
        return value.rsplit(".", 1)[-1].startswith(FAKE_MARK)
    if kind == "private_key":
        return FAKE_MARK in value
    if kind in PERSONAL_KINDS:
        return personal.is_fake(kind, value) or value in listed
    if kind in ("ip_address", "ipv6"):
        address = _address(value)
        if address is None or is_fake_address(value):
            return True
        private = is_private_address(value)
        return private and (value in listed or value.partition("/")[0] in listed)
    return value in listed


def claims_fake(value: str) -> bool:
    """May VALUE stand in a cassette's list of fakes? A real account id, email, public address
    or key listed there is not trusted (a hand-edited list must not let a leak through)."""
    kind = fullmatch(value)
    if kind is None or kind in LISTED_KINDS or kind in ("arn", "s3_uri", "url"):
        return True
    if kind in ("ip_address", "ipv6"):
        return _address(value) is None or is_fake_address(value) or is_private_address(value)
    return is_fake(kind, value)


# Kinds whose fakes carry no proof of their own: `verify` checks them against the cassette's
# list of fakes (the others prove themselves: check digits, reserved domains and ranges, marks).
LISTED_KINDS = frozenset(
    {"uuid", "hostname", "resource_id", "org_id", "canonical_user_id", "cognito_pool_id",
     "mac_address"}
)  # fmt: skip
