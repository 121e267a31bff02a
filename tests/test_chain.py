"""The one chain view (`pagetape.wire.chain.page_of`, `items_of`) that record, import, show and
`pagetape replay` all read a parsed page with."""

from __future__ import annotations

from pagetape.aws.specs import OperationSpec
from pagetape.wire.chain import items_of, page_of

S3_V1 = OperationSpec(
    operation="ListObjects",
    result_key=["Contents", "CommonPrefixes"],
    input_token=["Marker"],
    output_token=["NextMarker || Contents[-1].Key"],
    limit_key="MaxKeys",
    more_results="IsTruncated",
)
LOGS = OperationSpec(
    operation="FilterLogEvents", result_key=["events", "searchedLogStreams"], limit_key="limit"
)


def test_items_are_those_of_the_primary_result_key() -> None:
    """What record, show, the metadata and `pagetape replay` count: FilterLogEvents' events, not
    the log streams it searched (the moto round trip pins 7 events, not 10)."""
    data = {"events": [{"message": "a"}, {"message": "b"}], "searchedLogStreams": [{}, {}, {}]}
    assert items_of(LOGS, {**data, "nextToken": "t"}) == [{"message": "a"}, {"message": "b"}]
    page = page_of(LOGS, ("t0",), {**data, "nextToken": "t1"})
    assert (page.asked, page.given, page.more, page.items) == (("t0",), ("t1",), True, 2)


def test_a_token_read_out_of_the_data_and_a_false_more_results() -> None:
    data = {"Contents": [{"Key": "a/1"}, {"Key": "a/2"}], "CommonPrefixes": [{"Prefix": "b/"}]}
    page = page_of(S3_V1, ("m",), {**data, "IsTruncated": True})
    assert (page.given, page.more, page.items) == (("a/2",), True, 2)
    last = page_of(S3_V1, (), {"Contents": [{"Key": "z"}], "IsTruncated": False})
    assert last.given == ("z",) and not last.more and last.items == 1


def test_no_list_under_the_key_counts_none_and_an_empty_key_is_skipped() -> None:
    # What `pagetape replay` walks for an imported cassette without a known spec.
    spec = OperationSpec(operation="ListThings", result_key=[""])
    page = page_of(spec, (), {"nextToken": "t2", "Things": [1, 2]})
    assert page.items is None and page.more and page.given == ("t2",)
    assert items_of(S3_V1, {"Contents": "not a list", "CommonPrefixes": [1]}) is None
    assert not page_of(spec, (), {"nextToken": ""}).more  # an empty token ends the chain
