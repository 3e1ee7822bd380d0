"""The import graph of src/siamkit: no cycle among modules at import time, and the components
(losses, miners, encoders, geometry, distances, heads, data, evaluation) never point back up to
what assembles them (training, experiment, cli, serve, gallery), not even inside a function.

Read with ``ast`` from the source, so nothing is imported; a ``TYPE_CHECKING`` block is skipped."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
COMPONENTS = ("losses", "miners", "encoders", "geometry", "distances", "heads", "data",
              "evaluation", "registry", "errors")
ASSEMBLERS = ("training", "experiment", "cli", "serve", "gallery")


def _name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str], src: Path, top_level_only: bool) -> set[str]:
    """The siamkit modules ``path`` imports (module-level statements only, or all of them)."""
    name = _name(path, src)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = []
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        nodes.append(node)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def graph(src: Path = SRC, top_level_only: bool = True) -> dict[str, set[str]]:
    paths = {_name(p, src): p for p in (src / "siamkit").rglob("*.py")}
    return {m: imports(p, set(paths), src, top_level_only) for m, p in paths.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    for root in sorted(g):
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycle_among_modules() -> None:
    assert cycles(graph()) == []


def test_components_do_not_import_what_assembles_them() -> None:
    bad = []
    for module, deps in graph(top_level_only=False).items():
        if module.split(".")[1:2] and module.split(".")[1] in COMPONENTS:
            bad += [f"{module} -> {d}" for d in deps if d.split(".")[1:2]
                    and d.split(".")[1] in ASSEMBLERS]
    assert bad == []


def test_the_cycle_check_can_fail(tmp_path: Path) -> None:
    pkg = tmp_path / "siamkit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("from .a import x\n")
    (pkg / "c.py").write_text("def f():\n    from . import a\n")
    assert cycles(graph(tmp_path)) == [["siamkit.a", "siamkit.b"]]


@pytest.mark.parametrize("name", COMPONENTS + ASSEMBLERS)
def test_every_named_area_exists(name: str) -> None:
    root = SRC / "siamkit"
    assert (root / name).is_dir() or (root / f"{name}.py").is_file()
