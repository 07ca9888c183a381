"""The packages under service/ form layers: no two import each other, directly or around a loop.

Every module is parsed with ``ast``, imports inside functions included, and each import
becomes an edge between top-level packages (or top-level modules) of ``service``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parent.parent / "service"


Edges = dict[str, dict[str, set[str]]]  # source → target → the files importing it


def top_level(module: str) -> str | None:
    """Return the top-level package or module of ``service`` that ``module`` lives in."""
    parts = module.split(".")
    if parts[0] != "service" or len(parts) < 2:
        return None
    return parts[1]


def imported(path: Path, root: Path = SERVICE.parent) -> Iterator[str]:
    """Yield every module ``path`` imports, at any depth, as absolute dotted names."""
    package = list(path.relative_to(root).parts[:-1])  # what a relative import starts from
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def package_edges() -> Edges:
    """Return the import edges between the top-level parts of ``service``."""
    edges: Edges = defaultdict(lambda: defaultdict(set))
    for path in sorted(SERVICE.rglob("*.py")):
        rel = path.relative_to(SERVICE)
        if rel.parts == ("__init__.py",):
            continue  # the app factory assembles everything; nothing imports it back
        source = rel.parts[0].removesuffix(".py")
        for module in imported(path):
            target = top_level(module)
            if target is None or target == source:
                continue
            edges[source][target].add(str(rel))
    return edges


def find_loop(edges: Edges) -> list[str] | None:
    """Return one loop of packages (first repeated at the end), or None if there is none."""
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return trail[trail.index(node):] + [node]
        if node in done:
            return None
        for nxt in sorted(edges.get(node, {})):
            loop = visit(nxt, [*trail, node])
            if loop:
                return loop
        done.add(node)
        return None

    for start in sorted(edges):
        loop = visit(start, [])
        if loop:
            return loop
    return None


def describe(loop: list[str], edges: Edges) -> str:
    """Name each step of the loop with the files that make it."""
    steps = [f"{a} -> {b} ({', '.join(sorted(edges[a][b]))})"
             for a, b in zip(loop, loop[1:], strict=False)]
    return "import loop between packages under service/:\n  " + "\n  ".join(steps)


def test_the_packages_under_service_form_layers() -> None:
    edges = package_edges()
    assert edges, "no imports found: is SERVICE right?"
    loop = find_loop(edges)
    if loop is not None:
        pytest.fail(describe(loop, edges))


def test_a_loop_is_found_and_named() -> None:
    edges: Edges = {"a": {"b": {"a/x.py"}}, "b": {"c": {"b/y.py"}}, "c": {"a": {"c/z.py"}}}
    loop = find_loop(edges)
    assert loop is not None and loop == ["a", "b", "c", "a"]
    assert "c -> a (c/z.py)" in describe(loop, edges)
    assert find_loop({"a": {"b": {"a/x.py"}}, "b": {}}) is None


def test_function_level_and_relative_imports_count(tmp_path: Path) -> None:
    probe = tmp_path / "service" / "notify" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("def f():\n    from service.bot import otp\n    from .sibling import g\n"
                     "    from .. import audit\n", encoding="utf-8")
    found = set(imported(probe, tmp_path))
    assert {"service.bot.otp", "service.notify.sibling.g", "service.audit"} <= found
    assert {top_level(m) for m in found} == {"bot", "notify", "audit", None}
