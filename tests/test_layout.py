"""The package layout is the data flow: each stage imports only from the stages below it, and no
module reaches itself through its imports, counting imports inside functions and under
TYPE_CHECKING (they are dependencies all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "recorder" / "pagetape"

# Lowest first. The root modules (errors, signals, terminal) are below every stage; the
# sandbox is a fake AWS the demo and the tests record from, beside the stages, not in them.
STAGES = ("", "aws", "cassette", "wire", "sanitize", "record", "imports", "replay", "verify", "cli")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every pagetape module `name` imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                targets.add(child if child in MODULES else base)
    return {t for t in targets if t in MODULES and t != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _stage(name: str) -> int:
    parts = name.split(".")
    if len(parts) > 1 and parts[1] == "sandbox":
        return -1
    if len(parts) > 1 and parts[1] in STAGES:
        return STAGES.index(parts[1])
    return 0


def test_every_module_belongs_to_a_stage() -> None:
    stray = [n for n in MODULES if len(n.split(".")) == 2 and n.split(".")[1] not in STAGES]
    assert sorted(stray) == [
        "pagetape.__main__",
        "pagetape.errors",
        "pagetape.sandbox",
        "pagetape.signals",
        "pagetape.terminal",
    ]


def test_no_stage_imports_a_stage_above_it() -> None:
    upward = []
    for name, targets in GRAPH.items():
        if name == "pagetape.__main__" or _stage(name) == -1:
            continue  # `python -m pagetape` is the command line; the sandbox stands beside
        for target in targets:
            if _stage(target) > _stage(name) or (_stage(target) == -1 and _stage(name) < 9):
                upward.append(f"{name} -> {target}")
    assert upward == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing
    itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(
    "source, target, upward",
    [
        ("pagetape.wire.codec", "pagetape.sanitize.rewrite", True),
        ("pagetape.replay.engine", "pagetape.wire.codec", False),
    ],
)
def test_the_stage_order_is_what_the_check_uses(source: str, target: str, upward: bool) -> None:
    assert (_stage(target) > _stage(source)) is upward
