"""Every botocore paginator whose input token is not a string, by the token's shape type.

repage (`pagetape.replay.repage`) fakes tokens in the token's own shape; this lists the shapes
it must handle. Run: `python scripts/token_shapes.py [--all]` (--all: one line per paginator).
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import botocore.session


def _describe(shape: Any, depth: int = 0) -> str:
    kind = shape.type_name
    if depth > 2:
        return kind
    if kind == "map":
        return f"map<{_describe(shape.key, depth + 1)},{_describe(shape.value, depth + 1)}>"
    if kind == "list":
        return f"list<{_describe(shape.member, depth + 1)}>"
    if kind == "structure":
        required = ",".join(shape.required_members)
        return f"structure[{len(shape.members)} members; required: {required or '-'}]"
    return kind


def main() -> None:
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    kinds: Counter[str] = Counter()
    rows = []
    for service in session.get_available_services():
        try:
            pages = loader.load_service_model(service, "paginators-1")["pagination"]
        except Exception:
            continue
        model = session.get_service_model(service)
        for name, config in sorted(pages.items()):
            tokens = config["input_token"]
            for token in [tokens] if isinstance(tokens, str) else tokens:
                op = model.operation_model(name)
                member = op.input_shape.members.get(token) if op.input_shape else None
                if member is None or member.type_name == "string":
                    continue
                kinds[member.type_name] += 1
                rows.append(f"{service} {name} {token}: {_describe(member)}")
    for row in rows if "--all" in sys.argv else []:
        print(row)
    print(dict(kinds))
    for kind in sorted(kinds):
        print(kind, next(r for r in rows if r.endswith(kind) or f": {kind}" in r))


if __name__ == "__main__":
    main()
