"""Which words of free text are public: the default-deny vocabulary.

Free text (descriptions, status reasons, error messages, unmodelled values) keeps only words every
AWS account shares; any other word is customer data and is faked whole. The vocabulary is data
(`data/public_words.txt`, built from botocore's model documentation by
`scripts/build_public_words.py`), the same whatever services a cassette holds, so output never
depends on the order or mix of exchanges. Operation names and IAM service prefixes come with it:
`s3:GetObject` in a policy and CloudTrail's `EventName: AssumeRole` are AWS's own.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

_FILE = Path(__file__).parent.parent / "data" / "public_words.txt"
# Dates, times, versions, sizes and counters: numbers identify nobody (a 12-digit account id or
# a phone number is found by its detector before this applies).
_NUMERIC = re.compile(r"-?v?[0-9][0-9.,:/%+-]*(?:[0-9]|[A-Za-z]{1,3})?|[0-9]+(?:st|nd|rd|th)")
_DATE = re.compile(
    r"\d{4}-\d{2}(?:-\d{2})?(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
# Three or more numbers in a row, nothing else: a record of counts or timers (a DNS SOA record's
# serial, refresh, retry, expire, TTL: 32-bit numbers, RFC 1035 section 3.3.13), whose long
# members are no id. Detectors (accounts, phones, cards) have run before.
_NUMBER_GROUP = re.compile(r"(?<!\S)[0-9]{1,10}(?:[ \t]+[0-9]{1,10}){2,}(?!\S)")
# Surrounding punctuation that is not part of a word (quotes, brackets, sentence marks).
_EDGE = "\"'`()[]{}<>,.;:!?*"
_COMPOUND = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*")
_JOINED = re.compile(r"[._-]")
_ACTION = re.compile(r"([a-z0-9-]+):([A-Za-z*][A-Za-z0-9*]*)")


@cache
def _sections() -> dict[str, frozenset[str]]:
    sections: dict[str, set[str]] = {}
    current: set[str] = set()
    for line in _FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        else:
            current.add(line)
    return {name: frozenset(values) for name, values in sections.items()}


def words() -> frozenset[str]:
    """Lower-case words (and hyphenated phrases) of botocore's documentation."""
    return _sections()["words"]


def operations() -> frozenset[str]:
    """Every botocore operation name (AssumeRole, GetObject)."""
    return _sections()["operations"]


def service_prefixes() -> frozenset[str]:
    """Endpoint prefixes and signing names: the `s3` of `s3:GetObject`."""
    return _sections()["prefixes"]


@lru_cache(maxsize=1 << 16)
def is_public_word(token: str) -> bool:
    """TOKEN (one word, no white space) identifies nobody: a documented word in any case (or
    lower-case documented words joined by - _ .), an operation name, an IAM action
    (`ec2:Describe*`), a number, a date or a version. Camel case is not split: `GreenValley`
    may be a company."""
    if not token or not any(ch.isalnum() for ch in token):
        return True
    if token.lower() in words() or token in operations() or token in service_prefixes():
        return True
    if is_number(token):
        return True
    if _COMPOUND.fullmatch(token):
        parts = _JOINED.split(token)
        if all(is_number(p) or (len(p) > 1 and p in words()) for p in parts):
            return True  # audience-generation-job, read_only: documented lower-case words
    m = _ACTION.fullmatch(token)
    if m is not None and m.group(1) in service_prefixes():
        action = m.group(2)
        return action == "*" or action in operations() or _action_pattern(action)
    return False


def is_number(token: str) -> bool:
    """A date, time, version, size or counter; a run of six or more bare digits is not (an
    id, an account, a phone number without its punctuation)."""
    if token.isdigit():
        return len(token) < 6
    return bool(_NUMERIC.fullmatch(token) or _DATE.fullmatch(token))


def _action_pattern(action: str) -> bool:
    """`Describe*`, `Get*Policy`: a wildcard whose literal parts each occur in an operation name."""
    parts = [p for p in action.split("*") if p]
    return "*" in action and all(any(p in op for op in operations()) for p in parts)


def split_edges(token: str) -> tuple[str, str, str]:
    """(leading punctuation, core, trailing punctuation) of a white-space-free TOKEN."""
    core = token.strip(_EDGE)
    if not core:
        return token, "", ""
    start = token.index(core)
    return token[:start], core, token[start + len(core) :]


def number_groups(text: str) -> list[tuple[str, bool]]:
    """TEXT in pieces, each flagged when it is a group of three or more bare numbers, which
    stays whole (`1 7200 900 1209600 86400`) though a lone run of six digits would not."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for m in _NUMBER_GROUP.finditer(text):
        pieces += [(text[last : m.start()], False), (m.group(0), True)]
        last = m.end()
    return [*pieces, (text[last:], False)]
