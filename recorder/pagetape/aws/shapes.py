"""Members of a botocore shape by the name they have on the wire: one place for what every
protocol walker asks the model (rest-json's `nextToken` is member NextToken, S3's
`continuation-token` is ContinuationToken, a query form's `Filter.1.Name` reaches Filters' Name).

A member's wire name is its `locationName` (botocore's `serialization["name"]`), else its
member name; where it travels is its `location` (uri, querystring, header, headers, or the
body when absent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import botocore.model

Member = tuple[str, "botocore.model.Shape"]  # (member name, member shape)


def wire_name(name: str, member: botocore.model.Shape) -> str:
    return str(member.serialization.get("name", name))


def by_wire(
    shape: botocore.model.Shape | None, location: str | None = None, names: bool = False
) -> dict[str, Member]:
    """A structure's members by wire name, those at LOCATION only when given (header names
    lowered, as HTTP compares them); with NAMES, by member name too."""
    if shape is None or shape.type_name != "structure":
        return {}
    out: dict[str, Member] = {}
    for name, member in shape.members.items():
        if location is not None and member.serialization.get("location") != location:
            continue
        wire = wire_name(name, member)
        out.setdefault(wire.lower() if location in ("header", "headers") else wire, (name, member))
        if names:
            out.setdefault(name, (name, member))
    return out


def located(
    shape: botocore.model.Shape | None, wire: str, location: str
) -> botocore.model.Shape | None:
    """The member that travels as WIRE at LOCATION (a URI label, a query word)."""
    found = by_wire(shape, location).get(wire)
    return found[1] if found else None


def query_member(
    shape: botocore.model.Shape | None, key: str
) -> tuple[str | None, botocore.model.Shape | None]:
    """The member a wire name reaches at the top of SHAPE, anywhere it travels."""
    found = by_wire(shape).get(key)
    return found if found else (None, None)


def form_member(
    shape: botocore.model.Shape | None, key: str
) -> tuple[str | None, botocore.model.Shape | None]:
    """The member a query/ec2 form key reaches: `Filter.1.Name`, `Tags.member.2.Value` (ec2
    capitalizes wire names, `queryName` overrides them); (name so far, None) past the model."""
    name: str | None = None
    parts = key.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if shape is None:
            return name or key, None
        if shape.type_name == "structure":
            found = None
            for member_name, member in shape.members.items():
                wire = wire_name(member_name, member)
                spelled = (member_name, wire, member.serialization.get("queryName"))
                if part in spelled or part == wire[:1].upper() + wire[1:]:
                    found = (member_name, member)
                    break
            if found is None:
                return part, None
            name, shape = found
        elif shape.type_name == "list":
            if part in ("member", "item") or part.isdigit():
                if part.isdigit():
                    shape = shape.member
                i += 1
                continue
            shape = shape.member  # flattened list: the index comes next
            continue
        elif shape.type_name == "map":
            if part == "entry" or part.isdigit():
                i += 1
                continue
            shape = shape.key if part == "key" else shape.value
            name = name if part != "key" else None
        else:
            return name, shape
        i += 1
    return name, shape
