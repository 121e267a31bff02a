"""The one content-type lookup (`pagetape.wire.codec.content_type`) every stage reads a request
or response body type with."""

from __future__ import annotations

from botocore.awsrequest import HeadersDict

from pagetape.wire.codec import content_type


def test_content_type_is_found_in_any_case_and_lowercased() -> None:
    assert (
        content_type({"Content-Type": "Application/X-Amz-JSON-1.1"}) == "application/x-amz-json-1.1"
    )
    assert content_type({"x-amz-target": "T", "CONTENT-TYPE": "text/XML"}) == "text/xml"
    assert content_type(HeadersDict({"content-type": "application/cbor"})) == "application/cbor"


def test_no_headers_or_no_content_type_is_empty() -> None:
    assert content_type(None) == ""
    assert content_type({}) == ""
    assert content_type({"x-amzn-RequestId": "r"}) == ""
