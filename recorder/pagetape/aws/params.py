"""Turn `-p NAME=VALUE` and `--params JSON` into typed operation parameters, checked against the
service model before any network call."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pagetape.errors import ParameterError
from pagetape.terminal import article

if TYPE_CHECKING:
    import botocore.model


def _convert(name: str, raw: str, shape: botocore.model.Shape) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            lowered = raw.lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError(raw)
        if kind == "timestamp":
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if kind in ("list", "map", "structure"):
            return json.loads(raw)
    except ValueError:
        expected = {
            "timestamp": "an ISO-8601 time such as 2024-01-31T00:00:00Z",
            "boolean": "true or false",
            "long": "an integer",  # the model's word for a wider integer, not the user's
            "float": "a number",
            "double": "a number",
        }.get(
            kind,
            f"JSON for {article(kind)}" if kind in ("list", "map", "structure") else article(kind),
        )
        raise ParameterError(f"parameter {name}={raw!r} is not {expected}") from None
    return raw


def parse_pairs(
    pairs: Iterable[str], params_json: str | None, op: botocore.model.OperationModel
) -> dict[str, Any]:
    """Merge `--params` JSON then each `-p NAME=VALUE`, converting by the member's model type."""
    members = op.input_shape.members if op.input_shape else {}
    params: dict[str, Any] = {}
    if params_json:
        try:
            loaded = json.loads(params_json)
        except ValueError as exc:
            raise ParameterError(f"--params is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ParameterError("--params must be a JSON object of parameter names to values")
        params.update(loaded)
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise ParameterError(f"-p {pair!r} is not NAME=VALUE")
        name = name.strip()
        if name not in members:
            raise _unknown(name, op)
        params[name] = _convert(name, raw, members[name])
    return params


def _unknown(name: str, op: botocore.model.OperationModel) -> ParameterError:
    members = sorted(op.input_shape.members) if op.input_shape else []
    valid = ", ".join(members) if members else "none"
    return ParameterError(f"{op.name} has no parameter {name!r}; valid parameters: {valid}")


def check(
    params: dict[str, Any],
    op: botocore.model.OperationModel,
    reserved: Iterable[str] = (),
    validate: dict[str, Any] | None = None,
) -> None:
    """Refuse unknown names, values botocore would reject, and the chain's own token/limit keys.
    VALIDATE is the whole first request (PARAMS plus the page size pagetape adds), checked as
    botocore will check it."""
    from botocore.exceptions import ParamValidationError
    from botocore.validate import ParamValidator

    members = op.input_shape.members if op.input_shape else {}
    for name in params:
        if name not in members:
            raise _unknown(name, op)
        if name in reserved:
            raise ParameterError(
                f"{name} is set by pagetape while it walks the page chain; use --page-size "
                "for the page size and leave the tokens out"
            )
    if op.input_shape is None:
        return
    for name, value in params.items():
        _check_constraints(name, value, members[name])
    report = ParamValidator().validate(params if validate is None else validate, op.input_shape)
    if report.has_errors():
        message = str(ParamValidationError(report=report.generate_report()))
        raise ParameterError(" ".join(message.split()))


def _check_constraints(name: str, value: Any, shape: botocore.model.Shape) -> None:
    """What botocore's validator leaves to the service: enums, lengths, ranges, patterns."""
    meta = shape.metadata
    enum = getattr(shape, "enum", None)
    if isinstance(value, str):
        if enum and value not in enum:
            raise ParameterError(f"{name}={value!r} is not one of {', '.join(enum)}")
        if "max" in meta and len(value) > meta["max"]:
            raise ParameterError(f"{name} is longer than {meta['max']} characters")
        pattern = meta.get("pattern")
        if pattern:
            try:
                compiled = re.compile(pattern)
            except re.error:
                return  # a Java-only construct such as \p{ASCII}: the service will judge it
            if not compiled.search(value):
                raise ParameterError(f"{name}={value!r} does not match the pattern {pattern}")
    elif isinstance(value, int) and not isinstance(value, bool):
        low, high = meta.get("min"), meta.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ParameterError(f"{name}={value} is outside the range {low}..{high}")


def limit_value(op: botocore.model.OperationModel, limit_key: str, size: int) -> int | str:
    """The page size as the limit member's type: Route 53's MaxItems is a string."""
    shape = op.input_shape.members.get(limit_key) if op.input_shape else None
    return str(size) if shape is not None and shape.type_name == "string" else size


def typed(op: botocore.model.OperationModel, values: dict[str, Any]) -> dict[str, Any]:
    """Parameters as a cassette stores them (query strings are text) with numbers and booleans
    typed again by the model, so they can be passed to a boto3 client."""
    members = op.input_shape.members if op.input_shape else {}
    payload = op.input_shape.serialization.get("payload") if op.input_shape else None
    out = dict(values)
    for name, value in values.items():
        shape = members.get(name)
        if shape is None or name == payload:
            continue  # a payload is the body as sent: bytes as text
        if isinstance(value, str) and shape.type_name != "timestamp":
            out[name] = _convert(name, value, shape)
        elif isinstance(value, (dict, list)):
            out[name] = _blobs(value, shape)
    return out


def _blobs(value: Any, shape: botocore.model.Shape) -> Any:
    """Blobs inside structures, lists and maps as bytes again: a JSON body carries them as
    base64 text (Converse's document bytes), which botocore would encode a second time."""
    kind = shape.type_name
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return value
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: _blobs(v, members[k]) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_blobs(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _blobs(v, shape.value) for k, v in value.items()}
    return value
