"""Re-paging: serve a recorded chain's items at whatever page size the code under test asks for.

A test recorded with 10 items a page can prove its code handles 1-item pages: the items of the
recorded chain are cut into pages of the asked size, linked by fake tokens of pagetape's own
(`pagetape-repage-<offset>`, in the token's own shape: an integer token is the offset itself,
a map or structure token such as DynamoDB's `ExclusiveStartKey` carries the string in one
entry, so botocore's parameter validation accepts what a paginator passes back). It works on botocore's parsed responses, so every protocol is the
same. The first result list is cut (other lists, such as S3's CommonPrefixes, come with the
first page); operations whose next token is read out of the data (S3 v1's `Contents[-1].Key`)
are refused with a reason.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import msgspec

from pagetape.aws.specs import OperationSpec
from pagetape.errors import ReplayMissError
from pagetape.wire import codec
from pagetape.wire.request import live_request, wire_scalar

if TYPE_CHECKING:
    import botocore.model

TOKEN_PREFIX = "pagetape-repage-"


@dataclass
class Chain:
    """One recorded chain flattened: a template page and every item, in order, with where
    each recorded page's items start and end among them (`bounds`)."""

    spec: OperationSpec
    template: dict[str, Any]
    items: list[Any]
    bounds: list[tuple[int, int]] = field(default_factory=list)
    token_shape: botocore.model.Shape | None = None  # the output token's (None: a string)
    counts: tuple[str, ...] = ()  # integer result keys (DynamoDB's Count): the page's count


def flatten(
    spec: OperationSpec,
    pages: Sequence[dict[str, Any]],
    op: botocore.model.OperationModel | None = None,
) -> Chain:
    """The items of PAGES (parsed responses of one chain, in order) under the result key; OP,
    the operation's model, gives the token's shape (a string without it)."""
    if not spec.result_key or not spec.result_key[0].isidentifier():
        raise ReplayMissError(f"repage cannot cut {spec.operation}: its items are not a list")
    if len(spec.output_token) != 1 or not spec.output_token[0].isidentifier():
        raise ReplayMissError(
            f"repage cannot cut {spec.operation}: its next token is read out of the data"
        )
    key = spec.result_key[0]
    items: list[Any] = []
    bounds: list[tuple[int, int]] = []
    for page in pages:
        found = page.get(key) or []
        bounds.append((len(items), len(items) + len(found)))
        items.extend(found)
    output = op.output_shape if op is not None else None
    members = dict(output.members) if output is not None else {}
    token_shape = members.get(spec.output_token[0])
    counts = tuple(
        k for k in spec.result_key[1:] if k in members and members[k].type_name in _INTEGERS
    )
    return Chain(spec, pages[0] if pages else {}, items, bounds, token_shape, counts)


def served_pages(chain: Chain, offset: int, size: int) -> list[int]:
    """The recorded pages a re-paged page of SIZE items from OFFSET draws on (a recorded page
    with no items belongs to the re-paged page that reaches it; the last one takes the rest)."""
    end = offset + size
    out = [
        number
        for number, (first, last) in enumerate(chain.bounds)
        if (first < end and last > offset)
        or (first == last and offset <= first < end)
        or (end >= len(chain.items) and first >= offset)
    ]
    return out or [0]


_INTEGERS = ("integer", "long")


def fake_token(shape: botocore.model.Shape | None, offset: int) -> Any:
    """A token of SHAPE's type that carries OFFSET (`token_offset` reads it back): the offset
    itself for a number, the string `pagetape-repage-<offset>` for a string, and for a map,
    structure or list one entry of that, so botocore's parameter validation accepts it."""
    text = f"{TOKEN_PREFIX}{offset}"
    kind = shape.type_name if shape is not None else "string"
    if kind == "string" or shape is None:
        return text
    if kind in _INTEGERS:
        return offset
    if kind in ("float", "double"):
        return float(offset)
    if kind == "map":
        return {TOKEN_PREFIX.rstrip("-"): fake_token(shape.value, offset)}
    if kind == "list":
        return [fake_token(shape.member, offset)]
    if kind == "structure" and shape.members:
        members = shape.members
        chosen = list(shape.required_members) or [
            next((n for n, m in members.items() if m.type_name == "string"), next(iter(members)))
        ]
        return {name: fake_token(members[name], offset) for name in chosen}
    raise ReplayMissError(f"repage cannot fake a token of type {kind}")


def token_offset(value: Any, numeric: bool = False) -> int | None:
    """The offset a token of `fake_token` carries, however the request brought it back (a
    number, or its text in a query string when NUMERIC, the token's shape being a number; a
    map, structure or list with it inside), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value == int(value) and value >= 0 else None
    if isinstance(value, str):
        if value.startswith(TOKEN_PREFIX):
            value = value[len(TOKEN_PREFIX) :]
        elif not numeric:
            return None
        return int(value) if value.isdecimal() else None
    if isinstance(value, dict):
        value = list(value.values())  # a structure: every member chosen carries it
    if isinstance(value, list) and value:
        offsets = {token_offset(v, numeric) for v in value}
        return offsets.pop() if len(offsets) == 1 else None
    return None


def page(chain: Chain, asked: dict[str, Any]) -> dict[str, Any]:
    """The parsed response for a request whose top-level members are ASKED."""
    offset, size = window(chain, asked)
    spec = chain.spec
    out = copy.deepcopy(chain.template)
    out[spec.result_key[0]] = copy.deepcopy(chain.items[offset : offset + size])
    if offset:  # other lists (S3's CommonPrefixes) come with the first page only
        for other in spec.result_key[1:]:
            out.pop(other, None)
    for count in chain.counts:  # DynamoDB's Count and ScannedCount: this page's
        out[count] = len(out[spec.result_key[0]])
    more = offset + size < len(chain.items)
    out.pop(spec.output_token[0], None)
    if more:
        out[spec.output_token[0]] = fake_token(chain.token_shape, offset + size)
    if spec.more_results and spec.more_results.isidentifier():
        out[spec.more_results] = more
    return out


def window(chain: Chain, asked: dict[str, Any]) -> tuple[int, int]:
    """(offset, size) of the page a request whose top-level members are ASKED wants."""
    spec = chain.spec
    token = asked.get(spec.input_token[0]) if spec.input_token else None
    offset = 0
    if token not in (None, "", {}, []):
        shape = chain.token_shape
        found = token_offset(token, shape is not None and shape.type_name in _INTEGERS)
        if found is None:
            raise ReplayMissError(f"repage: {token!r} is not a token this tape gave out")
        offset = found
    size_raw = asked.get(spec.limit_key) if spec.limit_key else None
    size = int(size_raw) if size_raw else (spec.page_size_default or len(chain.items) or 1)
    return offset, size


def asked_members(model: Any, params: Any) -> dict[str, Any]:
    """The top-level input members of a request botocore serialized (token, page size). MODEL
    is the published one (`specs.botocore_session`): a client's S3 models lose `/{Bucket}`."""
    request = live_request(params)
    if isinstance(request.body, (bytes, bytearray)):
        stored = codec.decode(bytes(request.body), codec.content_type(request.headers))
        request = msgspec.structs.replace(request, body=stored)
    elif isinstance(request.body, Mapping):  # a query/ec2 form, before botocore encodes it
        form = urlencode([(str(k), wire_scalar(v)) for k, v in request.body.items()])
        request = msgspec.structs.replace(request, body=form)
    return codec.request_members(model, request)
