"""The one ARN parser: `arn:partition:service:region:account:resource`, read the same way by
the sanitizer's public-value checks and rewriter, the foreign-file audit and `verify`."""

from __future__ import annotations

from typing import NamedTuple


class Arn(NamedTuple):
    """The six parts of an ARN; `resource` is whole, its own colons and slashes kept
    (`log-group:/aws/lambda/fn:*`), since each service lays it out its own way."""

    prefix: str
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return ":".join(self)


def parse(value: str) -> Arn | None:
    """VALUE's parts, or None unless it starts with `arn:` and has all six."""
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return Arn(*parts)
