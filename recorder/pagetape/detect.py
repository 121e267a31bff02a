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

from pagetape import personal, rules, vocabulary

FAKE_MARK = "PAGETAPE"
SECRET_FAKE_PREFIX = "pagetape-secret-"
FAKE_EMAIL_TLD = "example"
FAKE_IPV4_NET = ipaddress.ip_network("198.18.0.0/15")
FAKE_IPV6_NET = ipaddress.ip_network("2001:db8::/32")
# Addresses that identify nobody: loopback, unspecified, link-local IMDS, documentation ranges.
HARMLESS_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8", "0.0.0.0/32", "255.255.255.255/32", "169.254.169.254/32",
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "::1/128", "::/128",
        "fd00:ec2::254/128", "224.0.0.0/4",
    )
)  # fmt: skip
PRIVATE_V4 = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
RESERVED_DOMAINS = (
    "example",
    "example.com",
    "example.net",
    "example.org",
    "test",
    "invalid",
    "localhost",
)
# Keys whose values authenticate (Lambda environment variables, tags, policy conditions,
# presigned URL parameters), decided by the key's last word or two: DB_PASSWORD, apiToken,
# sts:ExternalId, X-Amz-Signature, SecretAccessKey; not SecretName, TokenType or AccessKeyId.
# Pagination tokens are told apart by the model before this applies.
SECRET_LAST_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "credential", "credentials",
     "signature", "cookie", "dsn", "apikey", "privatekey", "pin", "otp"}
)  # fmt: skip
SECRET_LAST_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("external", "id"),
     ("secret", "string"), ("secret", "binary"), ("secret", "value"), ("client", "secret"),
     ("connection", "string"), ("conn", "str"), ("signing", "key"), ("master", "key")}
)  # fmt: skip
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CHECK_SALT = b"pagetape-account-check:"
PERSONAL_KINDS = frozenset({"phone", "card", "national_id"})


def account_check(first8: str) -> str:
    """The four check digits of a fake account id: public, so anyone can prove a fake."""
    return f"{int.from_bytes(hashlib.sha256(_CHECK_SALT + first8.encode()).digest()[:4], 'big') % 10000:04d}"


def is_fake_account(value: str) -> bool:
    digits = value.replace("-", "")
    return len(digits) == 12 and digits.isdigit() and account_check(digits[:8]) == digits[8:]


# A data key (a map or pair key, a URL query or document key; not a model member name) that
# names a login: its value is half a credential (Glue USERNAME, a JDBC URL's user=).
CREDENTIAL_LAST_WORDS = frozenset({"username", "user", "login", "uid"})


def is_credential_key(key: str) -> bool:
    """A data key whose value authenticates: a secret-looking key or a login name's key (not a
    policy condition key such as aws:username)."""
    if is_secret_key(key):
        return True
    words = [w.lower() for w in _WORDS.findall(key)]
    return (
        ":" not in key
        and bool(words)
        and (words[-1] in CREDENTIAL_LAST_WORDS or "".join(words[-2:]) in CREDENTIAL_LAST_WORDS)
    )


def is_secret_key(key: str) -> bool:
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return False
    return words[-1] in SECRET_LAST_WORDS or tuple(words[-2:]) in SECRET_LAST_PAIRS


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
        ("secret_key", run >= 40),
        ("uuid", run >= 36),
        ("resource_id", "-" in text),
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


def valid(kind: str, value: str) -> bool:
    """Second look at a pattern match: the value really is of its kind and is not public."""
    if kind in ("ip_address", "ipv6"):
        address = _address(value)
        return address is not None and not harmless_address(value)
    if kind == "secret_key":
        # A path of 40 characters is no key (/accounts/123/flows/searchFlows).
        return not value.startswith("/") and value.count("/") <= 3
    if kind == "hostname":
        host = value.rstrip(".").lower()
        if host.endswith(RESERVED_DOMAINS) and any(
            host == d or host.endswith("." + d) for d in RESERVED_DOMAINS
        ):
            return False
        return not vocabulary.is_public_value(host) and not vocabulary.is_model_id(host)
    if kind == "account_id":
        return value not in vocabulary.AWS_ACCOUNTS
    if kind == "arn":
        return not vocabulary.is_public_arn(value)
    return True


def harmless_address(value: str) -> bool:
    """Addresses and blocks that identify nobody: loopback, unspecified, documentation and
    benchmark ranges, multicast, IMDS, and any block wider than a /16 (10.0.0.0/8, 0.0.0.0/0:
    routing rules, not hosts)."""
    address = _address(value)
    if address is None:
        return False
    _, slash, length = value.partition("/")
    if slash and length.isdigit() and int(length) < 16:
        return True
    return any(address in net for net in HARMLESS_NETS)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value[:1].isdigit() and ":" not in value:  # no address (asked of every string)
        return None
    try:
        return ipaddress.ip_address(value.partition("/")[0])
    except ValueError:
        return None


def is_fake(kind: str, value: str, listed: Iterable[str] | frozenset[str] = frozenset()) -> bool:
    """Is VALUE, found by KIND, one of pagetape's fakes? Proven by its form where the kind allows
    it; names, host names, resource ids and private addresses fall back to the cassette's list."""
    listed = listed if isinstance(listed, (set, frozenset)) else frozenset(listed)
    if kind == "account_id":
        return is_fake_account(value)
    if kind == "email":
        domain = value.replace("%40", "@").rpartition("@")[2].lower()
        return domain == FAKE_EMAIL_TLD or domain.endswith("." + FAKE_EMAIL_TLD)
    if kind in ("access_key_id", "secret_key", "well_known_secret"):
        return FAKE_MARK in value
    if kind == "jwt":
        return value.rsplit(".", 1)[-1].startswith(FAKE_MARK)
    if kind == "private_key":
        return FAKE_MARK in value
    if kind in PERSONAL_KINDS:
        return personal.is_fake(kind, value) or value in listed
    if kind in ("ip_address", "ipv6"):
        address = _address(value)
        if address is None:
            return True
        if address in FAKE_IPV4_NET or address in FAKE_IPV6_NET:
            return True
        private = any(address in n for n in PRIVATE_V4)
        return private and (value in listed or value.partition("/")[0] in listed)
    return value in listed


def claims_fake(value: str) -> bool:
    """May VALUE stand in a cassette's list of fakes? A real account id, email, public address
    or key listed there is not trusted (a hand-edited list must not let a leak through)."""
    kind = fullmatch(value)
    if kind in (None, "uuid", "hostname", "resource_id", "arn", "s3_uri", "url"):
        return True
    if kind in ("ip_address", "ipv6"):
        address = _address(value)
        return address is None or (
            address in FAKE_IPV4_NET
            or address in FAKE_IPV6_NET
            or any(address in n for n in PRIVATE_V4)
        )
    return is_fake(kind, value)
