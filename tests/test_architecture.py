"""Dependencies point one way (DESIGN.md §2): layers → mapping/synthesis → generator → train /
metrics / viz; the data sets depend on nothing of ours but leaf helpers.

The import graph is read from the source with ``ast`` (every import statement, function-local
ones included; relative imports resolved), so an import that only runs in one code path counts.
A unit is a top-level module or subpackage of stylegan_lib ("viz", "metrics", "generator", …).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stylegan_lib"

#: The model itself: nothing here may import training, metrics, figures or the release reader.
CORE = {"config", "layers", "mapping", "synthesis", "traditional", "generator", "discriminator", "latent",
        "stylegan2", "stylegan3", "generations"}
#: Leaf helpers every unit may import; they import nothing of ours.
LEAVES = {"utils", "images", "provenance"}


def module_name(path: Path, root: Path) -> str:
    """stylegan_lib/viz/noise.py → "stylegan_lib.viz.noise"; a package's __init__ is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(node: ast.AST, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The modules one import statement names, relative ones resolved against ``module``.
    ``from P import x`` names P.x when that is a module of ours, else P."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]


def import_graph(root: Path = PACKAGE) -> dict[str, dict[str, str]]:
    """module → {imported module of ours → "file:line" of the first such import}."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, dict[str, str]] = {}
    for module, path in files.items():
        edges = graph.setdefault(module, {})
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in imported_modules(node, module, path.name == "__init__.py", set(files)):
                if target.split(".")[0] == root.name and target != module:
                    edges.setdefault(target, f"{path.relative_to(root.parent)}:{node.lineno}")
    return graph


def unit(module: str) -> str | None:
    """The top-level module or subpackage a module belongs to; None for the package root, which
    every import of a submodule runs anyway."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def unit_graph(graph: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """unit → {imported unit → "file:line" of one import that makes the edge}."""
    units: dict[str, dict[str, str]] = {}
    for module, edges in graph.items():
        a = unit(module)
        if a is None:
            continue
        for target, where in edges.items():
            b = unit(target)
            if b is not None and b != a:
                units.setdefault(a, {}).setdefault(b, where)
    return units


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """One cycle [a, b, …, a] of the directed graph, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, str]]) -> str:
    return "; ".join(f"{a} → {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:]))


def imports_outside(graph: dict[str, dict[str, str]], units: set[str], allowed: set[str]) -> list[str]:
    """The imports of modules in ``units`` that leave ``units`` ∪ ``allowed``, as "a → b (file:line)"."""
    return [f"{m} → {t} ({where})" for m, edges in graph.items() if unit(m) in units
            for t, where in edges.items() if unit(t) is not None and unit(t) not in units | allowed]


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_the_graph_sees_function_local_and_relative_imports(graph):
    # viz.truncation imports metrics.evaluate at module level; generate.py imports pretrained
    # inside main().
    assert "stylegan_lib.metrics.evaluate" in graph["stylegan_lib.viz.truncation"]
    assert "stylegan_lib.pretrained" in graph["stylegan_lib.generate"]


def test_no_cycle_between_units(graph):
    units = unit_graph(graph)
    cycle = find_cycle(units)
    assert cycle is None, f"import cycle between units: {describe(cycle, units)}"


def test_data_imports_only_leaf_helpers(graph):
    assert imports_outside(graph, {"data"}, LEAVES) == []


def test_the_model_imports_nothing_above_it(graph):
    assert imports_outside(graph, CORE, LEAVES) == []


def test_leaves_import_nothing_of_ours(graph):
    assert imports_outside(graph, LEAVES, set()) == []


def test_a_cycle_and_a_forbidden_import_are_found(tmp_path):
    """The checks on a made-up package: generator → viz → generator (a function-local relative
    import closes the cycle) and data → metrics."""
    pkg = tmp_path / "stylegan_lib"
    (pkg / "viz").mkdir(parents=True)
    (pkg / "data").mkdir()
    for init in (pkg, pkg / "viz", pkg / "data"):
        (init / "__init__.py").write_text("")
    (pkg / "utils.py").write_text("import os\n")
    (pkg / "metrics.py").write_text("from .utils import os\n")
    (pkg / "generator.py").write_text("def f():\n    from .viz import grids\n")
    (pkg / "viz" / "grids.py").write_text("from ..generator import f\n")
    (pkg / "data" / "faces.py").write_text("from ..utils import os\nfrom .. import metrics\n")
    fake = import_graph(pkg)
    units = unit_graph(fake)
    assert describe(find_cycle(units), units) == ("generator → viz (stylegan_lib/generator.py:2); "
                                                  "viz → generator (stylegan_lib/viz/grids.py:1)")
    assert imports_outside(fake, {"data"}, LEAVES) == [
        "stylegan_lib.data.faces → stylegan_lib.metrics (stylegan_lib/data/faces.py:2)"]
    assert imports_outside(fake, CORE, LEAVES) == [
        "stylegan_lib.generator → stylegan_lib.viz.grids (stylegan_lib/generator.py:2)"]
