"""The page chain of a stored exchange: which tokens a request asked for, which tokens and items
its response gave. Read through the codec and botocore's parser, with the spec's JMESPath
expressions, so every protocol and every paginator shape (several tokens, map tokens,
`Contents[-1].Key`, `more_results`) is read the same way by `show`, `verify` and replay."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pagetape.aws.specs import OperationSpec, operation_model, resolve
from pagetape.errors import PagetapeError
from pagetape.wire import codec

if TYPE_CHECKING:
    import botocore.model

    from pagetape.cassette.store import Interaction


@dataclass(frozen=True)
class Page:
    """What one stored exchange means for the chain."""

    asked: tuple[Any, ...]  # input token values (None where absent)
    given: tuple[Any, ...]  # output token values (None where absent)
    more: bool  # the response says another page follows
    items: int | None  # items under the primary result key (items_of); None when not a list
    error: str | None = None  # the error code of an error response


@cache
def operation(
    service: str, name: str
) -> tuple[botocore.model.OperationModel, OperationSpec] | None:
    """The operation model and pagination spec, or None when either is unknown."""
    op = operation_model(service, name)
    if op is None:
        return None
    try:
        spec = resolve(service, name).spec
    except PagetapeError:
        return None
    return op, spec


def canonical(value: Any) -> str | None:
    """A comparable form of a token of any type: strings as they are, maps as sorted JSON."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(codec.to_jsonable(value), sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def search(expression: str, data: Any) -> Any:
    import jmespath

    return jmespath.search(expression, data)


def parsed(op: botocore.model.OperationModel, interaction: Interaction) -> dict[str, Any]:
    resp = interaction.response
    ctype = codec.content_type(resp.headers)
    return codec.parse_response(
        op, resp.status, dict(resp.headers), codec.to_bytes(resp.body, ctype)
    )


def page(service: str, interaction: Interaction) -> Page | None:
    """The chain view of one stored exchange; None for an operation pagetape cannot read."""
    found = operation(interaction.service or service, interaction.operation)
    if found is None:
        return None
    op, spec = found
    members = codec.request_members(op, interaction.request)
    asked = tuple(members.get(t) for t in spec.input_token)
    none = tuple(None for _ in spec.output_token)
    try:
        data = parsed(op, interaction)
    except Exception:
        return Page(
            asked, none, False, None, "unreadable" if interaction.response.status >= 300 else None
        )
    if interaction.response.status >= 300:
        return Page(asked, none, False, None, str(data.get("Error", {}).get("Code") or "Error"))
    return page_of(spec, asked, data)


def page_of(spec: OperationSpec, asked: tuple[Any, ...], data: dict[str, Any]) -> Page:
    """The chain view of a parsed response: the one walk `record`, `import placebo`, `show` and
    `pagetape replay` follow."""
    given = tuple(search(t, data) for t in spec.output_token)
    more = any(canonical(t) is not None for t in given)
    if more and spec.more_results:
        more = bool(search(spec.more_results, data))
    found = items_of(spec, data)
    return Page(asked, given, more, None if found is None else len(found))


def items_of(spec: OperationSpec, data: dict[str, Any]) -> list[Any] | None:
    """The items of a parsed page: the list under the primary result key (FilterLogEvents'
    `events`, not its `searchedLogStreams`); None when it holds no list."""
    key = spec.result_key[0] if spec.result_key else ""
    found = search(key, data) if key else None
    return found if isinstance(found, list) else None


def member_at(
    shape: botocore.model.Shape | None, path: str
) -> tuple[str | None, botocore.model.Shape | None]:
    """The member a simple JMESPath (`StreamDescription.Shards[-1].ShardId`) ends at, with its
    shape (None where the model does not say)."""
    name: str | None = None
    for part in path.split("."):
        field_name = part.split("[")[0]
        if shape is None or shape.type_name != "structure" or field_name not in shape.members:
            return (field_name or None), None
        name, shape = field_name, shape.members[field_name]
        if "[" in part and shape.type_name == "list":
            shape = shape.member
    return name, shape


def asked(service: str, interaction: Interaction) -> tuple[str | None, ...]:
    """The input tokens a stored request asked for, comparable; () for an unknown operation.
    Read by member, whatever the wire name (S3's `continuation-token`)."""
    found = operation(interaction.service or service, interaction.operation)
    if found is None:
        return ()
    op, spec = found
    members = codec.request_members(op, interaction.request)
    return key(tuple(members.get(t) for t in spec.input_token))


def key(tokens: tuple[Any, ...]) -> tuple[str | None, ...]:
    """Tokens of one page in comparable form."""
    return tuple(canonical(t) for t in tokens)


def walks(service: str, interactions: list[Interaction]) -> list[int]:
    """The walk (a chain from a first page) each interaction belongs to, numbered from 1 in
    recorded order. A page continues its operation's open walk when that walk's last page gave
    a token and this request asks for one; otherwise it starts a walk: the same listing called
    twice (placebo's `_1` to `_3`, then `_4` and `_5`) is two walks, one-page calls one each."""
    found: list[int] = []
    open_walks: dict[tuple[str | None, str], int] = {}  # operation -> its walk that goes on
    count = 0
    for interaction in interactions:
        owner = (interaction.service, interaction.operation)
        view = page(service, interaction)
        current = open_walks.pop(owner, None)
        if current is None or view is None or all(canonical(t) is None for t in view.asked):
            count += 1
            current = count
        found.append(current)
        if view is not None and view.more:
            open_walks[owner] = current
    return found
