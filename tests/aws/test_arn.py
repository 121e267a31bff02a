"""The one ARN parser (`pagetape.aws.arn.parse`) the sanitizer, the foreign audit and `verify`
read ARNs with."""

from __future__ import annotations

from pagetape.aws.arn import Arn, parse


def test_an_arn_has_six_parts_and_its_resource_keeps_its_own_colons() -> None:
    value = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*"
    arn = parse(value)
    assert arn == Arn(
        "arn", "aws", "logs", "us-east-1", "123456789012", "log-group:/aws/lambda/fn:*"
    )
    assert arn is not None and str(arn) == value
    assert parse("arn:aws:s3:::bucket/key") == Arn("arn", "aws", "s3", "", "", "bucket/key")


def test_what_is_not_an_arn_parses_to_none() -> None:
    assert parse("arn:aws:iam::aws") is None  # no resource
    assert parse("urn:aws:iam::aws:policy/ReadOnly") is None
    assert parse("") is None
