"""Re-paging: serve a recorded chain's items at whatever page size the code under test asks for.

A test recorded with 10 items a page can prove its code handles 1-item pages: the items of the
recorded chain are cut into pages of the asked size, linked by fake tokens of pagetape's own
(`pagetape-repage-<offset>`). It works on botocore's parsed responses, so every protocol is the
same. The first result list is cut (other lists, such as S3's CommonPrefixes, come with the
first page); operations whose next token is read out of the data (S3 v1's `Contents[-1].Key`)
are refused with a reason.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from pagetape.aws.specs import OperationSpec
from pagetape.errors import ReplayMissError
from pagetape.wire import codec
from pagetape.wire.request import live_request

TOKEN_PREFIX = "pagetape-repage-"


@dataclass
class Chain:
    """One recorded chain flattened: a template page and every item, in order."""

    spec: OperationSpec
    template: dict[str, Any]
    items: list[Any]


def flatten(spec: OperationSpec, pages: Sequence[dict[str, Any]]) -> Chain:
    """The items of PAGES (parsed responses of one chain, in order) under the result key."""
    if not spec.result_key or not spec.result_key[0].isidentifier():
        raise ReplayMissError(f"repage cannot cut {spec.operation}: its items are not a list")
    if len(spec.output_token) != 1 or not spec.output_token[0].isidentifier():
        raise ReplayMissError(
            f"repage cannot cut {spec.operation}: its next token is read out of the data"
        )
    key = spec.result_key[0]
    items: list[Any] = []
    for page in pages:
        items.extend(page.get(key) or [])
    return Chain(spec, pages[0] if pages else {}, items)


def page(chain: Chain, asked: dict[str, Any]) -> dict[str, Any]:
    """The parsed response for a request whose top-level members are ASKED."""
    spec = chain.spec
    token = asked.get(spec.input_token[0]) if spec.input_token else None
    offset = 0
    if token:
        number = str(token)[len(TOKEN_PREFIX) :]
        if not str(token).startswith(TOKEN_PREFIX) or not number.isdecimal():
            raise ReplayMissError(f"repage: {token!r} is not a token this tape gave out")
        offset = int(number)
    size_raw = asked.get(spec.limit_key) if spec.limit_key else None
    size = int(size_raw) if size_raw else (spec.page_size_default or len(chain.items) or 1)
    out = copy.deepcopy(chain.template)
    out[spec.result_key[0]] = copy.deepcopy(chain.items[offset : offset + size])
    if offset:  # other lists (S3's CommonPrefixes) come with the first page only
        for other in spec.result_key[1:]:
            out.pop(other, None)
    more = offset + size < len(chain.items)
    out.pop(spec.output_token[0], None)
    if more:
        out[spec.output_token[0]] = f"{TOKEN_PREFIX}{offset + size}"
    if spec.more_results and spec.more_results.isidentifier():
        out[spec.more_results] = more
    return out


def asked_members(model: Any, params: Any) -> dict[str, Any]:
    """The top-level input members of a request botocore serialized (token, page size). MODEL
    is the published one (`specs.botocore_session`): a client's S3 models lose `/{Bucket}`."""
    request = live_request(params)
    if isinstance(request.body, (bytes, bytearray)):
        stored = codec.decode(bytes(request.body), codec.content_type(request.headers))
        request = msgspec.structs.replace(request, body=stored)
    return codec.request_members(model, request)
