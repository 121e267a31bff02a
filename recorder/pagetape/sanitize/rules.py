"""The sanitization rules: each one object that owns its behaviour, listed by
`pagetape sanitize --list-rules` and switchable off by name (`--keep-rule NAME`).

A detector rule finds values inside any string (`pattern`, or `finder` for what a library
detects), takes a second look at each match (`accepts`), rebuilds what it found in its own format
(`fake`) and says how `verify` proves a value of its kind is pagetape's fake (`proves`). The
detection engine (`pagetape.sanitize.detect`) and the rewriter (`pagetape.sanitize.rewrite`) iterate these objects;
they hold no branch per rule. Field rules (headers, token, url, secret_value, name, free_text)
act on values by where they sit in the botocore model: the walker asks `Switches.on` for them.
AWS's formats (id prefixes and alphabets, top-level domains) come from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Protocol

from pagetape.aws import catalogue
from pagetape.errors import UsageError
from pagetape.sanitize import addresses, marks, personal, vocabulary

if TYPE_CHECKING:
    from pagetape.sanitize.pseudonym import Pseudonymizer


class Fakes(Protocol):
    """What a rule's `fake` may ask of the rewriter: the pseudonymizer and the rebuilders of
    composite values (their parts are faked by the rules of what each part is)."""

    pseudo: Pseudonymizer

    def name(self, value: str, rule: str) -> str: ...
    def arn(self, value: str) -> str: ...
    def s3_uri(self, value: str) -> str: ...
    def email(self, value: str) -> str: ...
    def host(self, value: str) -> str: ...
    def url(self, value: str, context: str) -> str: ...
    def jwt(self, value: str) -> str: ...
    def private_key(self, value: str) -> str: ...


Fake = Callable[[Fakes, str, str], str]  # (rewriter, value, the kind of field it fills)
Needs = Callable[[str, int], bool]  # (text, its longest run without white space)


def _anywhere(text: str, run: int) -> bool:
    return True


def _accept(value: str) -> bool:
    return True


def _listed(value: str, listed: frozenset[str]) -> bool:
    """No proof of its own: the cassette's list of fakes says."""
    return value in listed


def _marked(value: str, listed: frozenset[str]) -> bool:
    return marks.FAKE_MARK in value


def _has(*needles: str) -> Needs:
    if len(needles) == 1:
        needle = needles[0]
        return lambda text, run: needle in text
    return lambda text, run: any(n in text for n in needles)


def _run(length: int) -> Needs:
    return lambda text, run: run >= length


def _count(char: str, at_least: int) -> Needs:
    return lambda text, run: text.count(char) >= at_least


def _formatted(kind: str) -> Callable[[str], bool]:
    """A match of an id format is one when it has the format's digits, letters and region, and
    is no documentation placeholder."""

    def accepts(value: str) -> bool:
        fmt = catalogue.format_of(value, kind)
        return (
            fmt is not None
            and catalogue.well_formed(fmt, value)
            and not catalogue.is_placeholder(value, kind)
        )

    return accepts


def _needs_punctuation(kind: str) -> Needs:
    """A text without any punctuation of KIND's prefixes (i-, sha256:) holds none of its ids."""

    chars = frozenset(
        c for f in catalogue.formats(kind) for p in f.prefixes for c in p if not c.isalnum()
    )
    return lambda text, run: any(c in text for c in chars)


def _address_accepts(value: str) -> bool:
    return addresses.parse(value) is not None and not addresses.harmless(value)


def _address_proves(value: str, listed: frozenset[str]) -> bool:
    """Public addresses are faked into the benchmark and documentation ranges (provable);
    private ones stay private, so the cassette's list says."""
    if addresses.parse(value) is None or addresses.is_fake(value):
        return True
    return addresses.is_private(value) and (value in listed or value.partition("/")[0] in listed)


def _host_accepts(value: str) -> bool:
    host = value.rstrip(".").lower().removeprefix("*.")
    if catalogue.is_reserved_domain(host):
        return False
    return not vocabulary.is_public_value(host) and not vocabulary.is_model_id(host)


def _email_accepts(value: str) -> bool:
    domain = value.replace("%40", "@").rpartition("@")[2].lower()
    return not catalogue.is_reserved_domain(domain) and not vocabulary.is_public_value(value)


def _secret_key_accepts(value: str) -> bool:
    # A path of 40 characters is no key (/accounts/123/flows/searchFlows).
    return (
        not value.startswith("/")
        and value.count("/") <= 3
        and not catalogue.is_placeholder(value, "secret_key")
    )


_NO_MAC = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})


def _mac_accepts(value: str) -> bool:
    return _formatted("mac_address")(value) and value.lower() not in _NO_MAC


def _personal_proves(kind: str) -> Callable[[str, frozenset[str]], bool]:
    return lambda value, listed: personal.is_fake(kind, value) or value in listed


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


class SizedPattern:
    """A pattern of many alternatives, each tried only on texts with a run (a stretch without
    white space) long enough for it: the detect-secrets formats. Runs fall into few buckets (the
    distinct minimum widths), so the engine compiles few alternations."""

    @staticmethod
    @lru_cache(maxsize=4096)
    def bucket(run: int) -> int:
        return max((w for _, w in _secret_widths() if w <= run), default=-1)

    @staticmethod
    @cache
    def pattern(bucket: int) -> str | None:
        return "|".join(p for p, width in _secret_widths() if width <= bucket) or None


@dataclass(frozen=True)
class Rule:
    """One sanitization rule. Detector rules set `pattern` (or `sized`, a pattern by the
    longest run of the text, or `finder`); field rules set none of them."""

    name: str
    description: str
    pattern: str | None = None
    needs: Needs = _anywhere  # can the pattern match somewhere in this text at all (speed)
    accepts: Callable[[str], bool] = _accept  # a match really is of this kind, and not public
    fake: Fake | None = None  # what a found value becomes; None: faked as a name
    proves: Callable[[str, frozenset[str]], bool] = _listed  # a found value is a fake
    listable: bool = False  # a cassette's list of fakes may vouch for values of this kind
    trims: bool = False  # a match loses trailing sentence punctuation (an ARN before a comma)
    sized: SizedPattern | None = None
    finder: Callable[[str], Iterable[personal.Found]] | None = None

    @property
    def detects(self) -> bool:
        return bool(self.pattern or self.sized or self.finder)

    def pattern_in(self, bucket: int) -> str | None:
        """The pattern to try on a text of BUCKET (`SizedPattern.bucket` of its longest run)."""
        return self.sized.pattern(bucket) if self.sized is not None else self.pattern


_TLDS = "|".join(catalogue.tlds())
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"

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
         r"|rediss?|amqps?|s?ftp|ssh|ldaps?|smtps?)://[^\s\"'<>\\^`{|}]+",
         needs=_has("://"), fake=lambda rw, v, context: rw.url(v, context)),
    Rule("private_key", "replace PEM private key blocks",
         r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
         needs=_has("-----BEGIN "), fake=lambda rw, v, _: rw.private_key(v), proves=_marked),
    Rule("jwt", "JSON web tokens: claims sanitized as JSON, signature replaced by a PAGETAPE one",
         r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*",
         needs=_has("eyJ"), fake=lambda rw, v, _: rw.jwt(v),
         proves=lambda v, _: v.rsplit(".", 1)[-1].startswith(marks.FAKE_MARK)),
    Rule("arn", "rebuild ARNs part by part: partition, service, region and resource type kept, "
         "account and resource names faked; ARNs of account aws (managed policies) kept",
         r"arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:[0-9]{0,12}|aws):[^\s\"'<>,;(){}]+",
         needs=_has("arn:aws"), accepts=lambda v: not vocabulary.is_public_arn(v),
         fake=lambda rw, v, _: rw.arn(v), listable=True, trims=True),
    Rule("iam_principal", "fake IAM role, user and group names and paths inside IAM ARNs"),
    Rule("s3_uri", "fake S3 bucket names and key segments (file extensions kept)",
         r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](?:/[^\s\"'<>,;()\[\]{}]*)?",
         needs=_has("s3://"), fake=lambda rw, v, _: rw.s3_uri(v), listable=True, trims=True),
    Rule("email", "fake email addresses, plain or URL-encoded: local part and domain faked, "
         "top-level domain .example (reserved, never real)",
         r"[A-Za-z0-9._+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
         needs=_has("@", "%40"), accepts=_email_accepts, fake=lambda rw, v, _: rw.email(v),
         proves=lambda v, _: marks.is_fake_email(v)),
    Rule("access_key_id", "replace AWS access key ids (AKIA, ASIA) by obviously fake "
         "AKIAPAGETAPE... ones", catalogue.rule_pattern("access_key_id"),
         needs=_run(20), accepts=_formatted("access_key_id"),
         fake=lambda rw, v, _: rw.pseudo.access_key(v), proves=_marked),
    Rule("iam_unique_id", "fake IAM unique ids (AIDA users, AROA roles, ANPA policies ...) "
         "keeping prefix and length, PAGETAPE after the prefix",
         catalogue.rule_pattern("iam_unique_id"), needs=_run(20),
         accepts=_formatted("iam_unique_id"), fake=lambda rw, v, _: rw.pseudo.access_key(v),
         proves=_marked),
    Rule("well_known_secret", "replace tokens of well-known formats (GitHub, GitLab, Slack, "
         "Stripe, OpenAI, ...; patterns from detect-secrets) keeping prefix and length",
         sized=SizedPattern(), fake=lambda rw, v, _: rw.pseudo.marked(v), proves=_marked),
    Rule("secret_key", "fake 40-character strings shaped like secret access keys",
         r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[0-9])(?=[A-Za-z0-9/+]*[a-z])"
         r"(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
         needs=_run(40), accepts=_secret_key_accepts, fake=lambda rw, v, _: rw.pseudo.marked(v),
         proves=_marked),
    Rule("canonical_user_id", "fake S3 canonical user ids (64 hexadecimal characters), still hex",
         catalogue.rule_pattern("canonical_user_id"), needs=_run(64),
         accepts=_formatted("canonical_user_id"),
         fake=lambda rw, v, _: rw.pseudo.resource_id(v), listable=True),
    Rule("uuid", "fake UUIDs, still UUID-shaped and lowercase hex",
         r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
         r"[0-9a-fA-F]{12}(?![0-9a-fA-F])", needs=_run(36), listable=True),
    Rule("cognito_pool_id", "fake Cognito user pool ids keeping the region prefix "
         "(us-west-2_ and nine letters and digits)", catalogue.rule_pattern("cognito_pool_id"),
         needs=_has("_"), accepts=_formatted("cognito_pool_id"),
         fake=lambda rw, v, _: rw.pseudo.resource_id(v), listable=True),
    Rule("resource_id", "fake resource ids of the catalogue's formats keeping prefix, length and "
         "alphabet (EC2 i-, vol-, sg-, sgr-, eni-attach-; EFS fs-; RDS db-, cluster- ...)",
         catalogue.rule_pattern("resource_id"), needs=_needs_punctuation("resource_id"),
         accepts=_formatted("resource_id"), fake=lambda rw, v, _: rw.pseudo.resource_id(v),
         listable=True),
    Rule("org_id", "fake AWS Organizations ids keeping prefix and alphabet (o-, ou-<root>-, r-, "
         "p-); an OU's root part is faked as the root id is", catalogue.rule_pattern("org_id"),
         needs=_has("-"), accepts=_formatted("org_id"),
         fake=lambda rw, v, _: rw.pseudo.resource_id(v), listable=True),
    Rule("mac_address", "fake MAC addresses, still six hexadecimal octets",
         catalogue.rule_pattern("mac_address"), needs=_count(":", 5), accepts=_mac_accepts,
         fake=lambda rw, v, _: rw.pseudo.resource_id(v), listable=True),
    Rule("ipv6", "replace IPv6 addresses and prefixes (IPv4-mapped ones included) by ones in "
         "2001:db8::/32 (documentation); unique-local and link-local ones stay in their range",
         r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})"
         r"(?:/\d{1,3})?(?![0-9A-Za-z:]|\.\d)",
         needs=_count(":", 2), accepts=_address_accepts, fake=lambda rw, v, _: rw.pseudo.ipv6(v),
         proves=_address_proves),
    # Octets may carry leading zeros (010.000.000.001, 10.0.0.01): how some tools print them.
    Rule("ip_address", "replace IPv4 addresses (and CIDR blocks): private ones by private ones, "
         "prefix-preserving (a host stays in its subnet), public ones by 198.18.0.0/15",
         r"(?<!\d)(?<!\d\.)(?:(?:25[0-5]|2[0-4]\d|[01]?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d?\d)"
         r"(?:/(?:3[0-2]|[12]?\d))?(?!\d|\.\d)",
         needs=_count(".", 3), accepts=_address_accepts, fake=lambda rw, v, _: rw.pseudo.ipv4(v),
         proves=_address_proves),
    Rule("hostname", "fake host names outside AWS-owned domains label by label (top-level "
         "domain kept); AWS host names keep service and region labels, and names that embed "
         "an address (ip-10-0-0-1.ec2.internal) embed the faked address; underscored labels "
         "(RFC 8552: <selector>._domainkey.<domain>) are labels too, but not the last one",
         r"(?<![A-Za-z0-9.@_*-])(?:\*\.)?(?:_?" + _LABEL + r"\.)*" + _LABEL + r"\."
         r"(?i:" + _TLDS + r")\.?(?![A-Za-z0-9-]|\.[A-Za-z0-9])",
         needs=_has("."), accepts=_host_accepts, fake=lambda rw, v, _: rw.host(v),
         listable=True),
    Rule("account_id", "fake 12-digit account ids (also written 1234-5678-9012), alone or "
         "inside names; fakes carry check digits so verify can prove them",
         r"(?<![\d-])\d{4}-\d{4}-\d{4}(?![\d-])|(?<!\d)\d{12}(?!\d)", needs=_run(12),
         accepts=lambda v: not catalogue.is_aws_account(v) and not catalogue.is_placeholder(v),
         fake=lambda rw, v, _: rw.pseudo.account(v),
         proves=lambda v, _: marks.is_fake_account(v) or catalogue.is_aws_account(v)),
    Rule("phone", "phone numbers (phonenumbers: international form anywhere, national form "
         "where it is clearly a phone): valid numbers of the same country in a fictional range",
         finder=personal.find, fake=lambda rw, v, _: rw.pseudo.personal("phone", v),
         proves=_personal_proves("phone")),
    Rule("card", "payment card numbers (Luhn, issuer prefix): test card numbers of the same "
         "brand, length and grouping",
         finder=personal.find, fake=lambda rw, v, _: rw.pseudo.personal("card", v),
         proves=_personal_proves("card")),
    Rule("national_id", "US social security and UK national insurance numbers, IBANs: fakes of "
         "the same form that are never issued",
         finder=personal.find, fake=lambda rw, v, _: rw.pseudo.personal("national_id", v),
         proves=_personal_proves("national_id")),
    Rule("birth_date", "dates of birth (the values under dob, date_of_birth, birthDate keys of "
         "items, maps and documents): another valid date written the same way"),
    Rule("secret_value", "replace values under secret-looking keys (passwords, tokens, API "
         "keys, sts:ExternalId, X-Amz-Signature) by pagetape-secret-... fakes"),
    Rule("name", "fake resource names and ids in identifier fields (members named ...Name, "
         "...Id, ...Arn, ...By, ...Path, plugin hints), keeping length and character classes"),
    Rule("free_text", "replace every identifier seen anywhere in the cassette where it recurs in "
         "free text: failure reasons, descriptions, error messages"),
)  # fmt: skip

BY_NAME = {rule.name: rule for rule in RULES}
DETECTORS = tuple(rule for rule in RULES if rule.detects)
SIZED = tuple(rule for rule in DETECTORS if rule.sized is not None)
# Credentials: a value one of these finds whole under a secret-looking key keeps its form.
CREDENTIALS = frozenset({"access_key_id", "secret_key", "well_known_secret", "jwt", "private_key"})


def get(name: str) -> Rule:
    """The rule NAME; a name no rule has is a programming error, never silently "on"."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no sanitization rule {name!r}") from None


@dataclass(frozen=True)
class Switches:
    """The rules switched off on purpose (`--keep-rule`, a cassette's `kept_rules`): the one
    question every stage asks of a rule by name."""

    off: frozenset[str] = frozenset()

    @classmethod
    def of(cls, names: Iterable[str]) -> Switches:
        """From user input: an unknown name is refused with the list of real ones (a typo must
        not keep a value)."""
        off = frozenset(names)
        unknown = sorted(off - set(BY_NAME))
        if unknown:
            raise UsageError(
                f"unknown sanitization rule {', '.join(unknown)}; rules are {', '.join(BY_NAME)}"
            )
        return cls(off)

    def on(self, name: str) -> bool:
        return get(name).name not in self.off
