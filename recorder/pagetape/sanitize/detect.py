"""The one detection engine: what identifies or authenticates, found inside any string.

The sanitizer rewrites what `scan` finds, the leak proof looks for what it replaced, and
`verify` runs the same `scan` over a written cassette and asks `is_fake` of each hit, so what
pagetape writes, `verify` accepts. Fakes of the kinds that matter most carry their own proof
(an account id's check digits, the reserved `.example` domain, the benchmark and documentation
address ranges, a PAGETAPE mark), so `verify` needs no trust in a list the file itself carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from pagetape.aws import catalogue
from pagetape.sanitize import addresses, rules

# Addresses, domains and key words are the catalogue's (its "networks", "reserved_domains" and
# "secret_keys"): keys whose values authenticate (Lambda environment variables, tags, policy
# conditions, presigned URL parameters) are decided by the key's last word or two: DB_PASSWORD,
# apiToken, sts:ExternalId, X-Amz-Signature, SecretAccessKey; not SecretName, TokenType or
# AccessKeyId. Pagination tokens are told apart by the model before this applies.
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


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


def is_personal_key(key: str) -> bool:
    """A data key whose value is a person's datum though it looks like a plain date or number:
    a date of birth (dob, date_of_birth, birthDate)."""
    words = [w.lower() for w in _WORDS.findall(key)]
    return bool(words) and words[-1] in catalogue.personal_last_words()


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
def _compiled(skipped: frozenset[str], buckets: tuple[int, ...]) -> re.Pattern[str] | None:
    """One alternation of the pattern rules not SKIPPED, in rule order; a sized rule's pattern
    is the one of its bucket (BUCKETS, in the order of `rules.SIZED`)."""
    of = dict(zip(rules.SIZED, buckets, strict=True))
    parts = []
    for rule in rules.DETECTORS:
        pattern = rule.pattern_in(of.get(rule, 0)) if rule.name not in skipped else None
        if pattern:
            parts.append(f"(?P<{rule.name}>{pattern})")
    return re.compile("|".join(parts)) if parts else None


@lru_cache(maxsize=1 << 16)
def _pattern_for(text: str, disabled: frozenset[str]) -> re.Pattern[str] | None:
    """The detectors that can match somewhere in TEXT, by what each rule `needs` (a character, a
    run length). One alternation of every detector tries each alternative at each position (70
    us for a sentence holding nothing); leaving out those that cannot match changes no result
    (the others keep their order) and leaves most field values with nothing to run. Cached:
    both sanitizer passes, the leak proof and verify scan the same values."""
    run = max(map(len, text.split()), default=0)  # the longest stretch without white space
    absent = frozenset(r.name for r in rules.DETECTORS if not r.needs(text, run))
    buckets = tuple(r.sized.bucket(run) for r in rules.SIZED if r.sized is not None)
    return _compiled(disabled | absent, buckets)


def scan(text: str, disabled: frozenset[str] = frozenset()) -> Iterator[Hit]:
    """Every detected value in TEXT, left to right, each accepted by its rule (addresses parse,
    host names end in a real top-level domain, public vocabulary left out); then what the
    finder rules (phone, card and national-id numbers) find where no pattern matched."""
    hits = list(_hits(_pattern_for(text, disabled), text))
    finders = {r.finder for r in rules.DETECTORS if r.finder is not None and r.name not in disabled}
    extra = [
        Hit(f.kind, f.start, f.end, f.value)
        for finder in finders
        for f in finder(text)
        if f.kind not in disabled and not any(h.start < f.end and f.start < h.end for h in hits)
    ]
    return iter(sorted([*hits, *extra], key=lambda h: h.start) if extra else hits)


def _hits(pattern: re.Pattern[str] | None, text: str) -> Iterator[Hit]:
    if pattern is None:
        return
    for m in pattern.finditer(text):
        rule = rules.BY_NAME[m.lastgroup or ""]
        value = m.group(0)
        if rule.trims:
            value = value.rstrip(".,;:)]}'\"")
        if rule.accepts(value):
            yield Hit(rule.name, m.start(), m.start() + len(value), value)


@lru_cache(maxsize=1 << 16)
def fullmatch(value: str, disabled: frozenset[str] = frozenset()) -> str | None:
    """The kind of VALUE when a detector matches all of it, else None. Cached: a chain repeats
    its values (states, ARNs, names) and both sanitizer passes ask about each."""
    for hit in scan(value, disabled):
        return hit.kind if hit.start == 0 and hit.end == len(value) else None
    return None


def is_fake(kind: str, value: str, listed: Iterable[str] | frozenset[str] = frozenset()) -> bool:
    """Is VALUE, found by KIND, one of pagetape's fakes? Proven by the rule of KIND from the
    value where it can (check digits, reserved domains and ranges, marks), else by the
    cassette's list. AWS's documentation placeholders and redacted values are fake already."""
    if catalogue.is_placeholder(value, kind):
        return True
    return rules.get(kind).proves(
        value, listed if isinstance(listed, frozenset) else frozenset(listed)
    )


def claims_fake(value: str) -> bool:
    """May VALUE stand in a cassette's list of fakes? A real account id, email, public address
    or key listed there is not trusted (a hand-edited list must not let a leak through)."""
    kind = fullmatch(value)
    if kind is None or rules.get(kind).listable:
        return True
    if kind in ("ip_address", "ipv6"):
        return (
            addresses.parse(value) is None
            or addresses.is_fake(value)
            or addresses.is_private(value)
        )
    return is_fake(kind, value)
