"""The sanitization rules: each a small named thing with one job, listed by
`pagetape sanitize --list-rules` and switchable off by name (`--keep-rule NAME`).

Detector rules carry a pattern found inside any string (a field, free text, a URL). Field rules
act on values by where they sit in the botocore model. The default set is all of them: safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A named sanitization rule; `pattern` is set for rules that detect values inside text."""

    name: str
    description: str
    pattern: str | None = None


# Order matters for detectors: the first alternative that matches at a position wins.
RULES: tuple[Rule, ...] = (
    Rule("headers", "drop every header but content type, operation target, error type and "
         "the headers the operation's output binds (credentials, dates, request ids, cookies)"),
    Rule("token", "replace pagination tokens whole by pagetape-token-NNNN, in request and "
         "response, body or query; the chain stays linked"),
    Rule("url", "fake URL path labels and query values by the operation's model"),
    Rule("arn", "rebuild ARNs part by part: partition, service, region and resource type kept, "
         "account and resource names faked",
         r"arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\s\"'<>,;()\[\]{}]+"),
    Rule("iam_principal", "fake IAM role, user and group names and paths inside IAM ARNs"),
    Rule("s3_uri", "fake S3 bucket names and key segments (file extensions kept)",
         r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](?:/[^\s\"'<>,;()\[\]{}]*)?"),
    Rule("email", "fake email addresses (local part and domain; top-level domain kept)",
         r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    Rule("access_key_id", "replace AWS access key ids by obviously fake AKIAPAGETAPE... ones",
         r"(?<![A-Z0-9])(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}(?![A-Z0-9])"),
    Rule("secret_key", "fake 40-character strings shaped like secret access keys",
         r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[0-9])(?=[A-Za-z0-9/+]*[a-z])"
         r"(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    Rule("uuid", "fake UUIDs, still UUID-shaped and lowercase hex",
         r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
         r"[0-9a-fA-F]{12}(?![0-9a-fA-F])"),
    Rule("ip_address", "replace IPv4 addresses by addresses in 198.18.0.0/15 (benchmark range)",
         r"(?<!\d)(?<!\d\.)(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
         r"(?!\d|\.\d)"),
    Rule("account_id", "fake 12-digit account ids, alone or inside names such as bucket names",
         r"(?<!\d)\d{12}(?!\d)"),
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


def detector(disabled: frozenset[str]) -> re.Pattern[str] | None:
    """One regex of every enabled detector rule, each a named group."""
    parts = [
        f"(?P<{rule.name}>{rule.pattern})"
        for rule in RULES
        if rule.pattern and rule.name not in disabled
    ]
    return re.compile("|".join(parts)) if parts else None
