"""The layout holds: no import circle inside ``screening/``, and the engine reads no clock."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "screening"
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "localtime"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_modules() -> dict[str, Path]:
    return {
        _module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }


def _imported(node: ast.AST, current: str, is_package: bool, modules) -> set[str]:
    """The project modules one import statement names (function-level imports included)."""
    targets: set[str] = set()
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = current.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        # "from screening.x import name": the module screening.x.name if there is one, else x.
        submodules = [name for name in candidates[:-1] if name in modules]
        candidates = submodules or [base]
    else:
        return targets
    for name in candidates:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name and name != current:
            targets.add(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _source_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(tree):
            edges |= _imported(node, name, is_package, modules)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_find_cycle_reports_a_circle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_sees_function_level_and_package_imports():
    graph = import_graph()

    # The services package gathers its domain modules; the consent service imports the PDF
    # module inside a function, which still counts as an edge.
    assert "screening.services.consent" in graph["screening.services"]
    assert "screening.pdf" in graph["screening.services.consent"]
    assert "screening.engine.rules" in graph["screening.engine.validation"]


def test_screening_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())

    assert cycle is None, " -> ".join(cycle)


def test_engine_imports_only_itself_and_the_standard_library():
    graph = import_graph()

    for name, targets in graph.items():
        if name.startswith("screening.engine"):
            outside = {t for t in targets if not t.startswith("screening.engine")}
            assert not outside, (name, outside)


def test_engine_reads_no_clock():
    for path in (PACKAGE / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCK_CALLS, (path.name, node.lineno)
            if isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
                raise AssertionError(f"{path.name}:{node.lineno} imports from {node.module}")
