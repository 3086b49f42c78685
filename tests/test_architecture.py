"""The package's shape: the import graph of checker/ has no circle and flows one way.

Every module belongs to the stage named by its folder (checker/<stage>/...), and the
stages are declared in order below, lowest first. A module may import modules of its
own stage and of the stages below it, never of a stage above it, and no chain of
imports (function-level and TYPE_CHECKING imports included) leads back to where it
started. docs/architecture.md draws the same order.

Read with the standard library's `ast`, without importing the package. Run as a script
(`python tests/test_architecture.py`) it prints each stage's modules and what they import.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "checker"

# The stages, lowest first: each imports only itself and the stages before it.
STAGES = (
    "core",  # errors and Problem, the models, kernel path patterns, bounded regexes, terminal
    "load",  # the one door for files, sources (disk, git), YAML -> Document with line/col
    "collect",  # a kernel git checkout -> signals written into driver files (no verdicts)
    "discover",  # a tree at one revision -> the driver units it holds (new, init, backtest)
    "validate",  # schemas, Documents -> Driver / Policy models, cross-file rules, workspace
    "evaluate",  # probes, hard rules, the verdict and its direction, consistency, compare
    "render",  # Markdown escaping, templates, seals, charts, cards, indexes, cards/ files
    "report",  # problems as text/json/github/sarif, the pull-request comment, record
    "check",  # the check pipeline over every file, and its cache
    "backtest",  # does the score predict what upstream removed?
    "cli",  # parse arguments, one error boundary, one module per subcommand
)
ROOT_MODULES = {"checker": "core", "checker.__main__": "cli"}  # __version__; `python -m`



def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = PACKAGE.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> Iterator[str]:
    """The checker modules `path` imports, anywhere in it (functions and TYPE_CHECKING
    blocks included)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [f"{node.module}.{alias.name}" if is_module(f"{node.module}.{alias.name}")
                       else node.module for alias in node.names]
        else:
            assert not (isinstance(node, ast.ImportFrom) and node.level), \
                f"{path}: relative import; the package imports absolutely"
            continue
        yield from (t for t in targets if t == "checker" or t.startswith("checker."))


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    return {name: set(imports_of(path)) - {name} for name, path in modules.items()}


def stage_of(module: str) -> str | None:
    if module in ROOT_MODULES:
        return ROOT_MODULES[module]
    top = module.split(".")[1]
    return top if top in STAGES else None


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def upward(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Imports from a stage of a later stage: (importer, imported)."""
    rank = {stage: i for i, stage in enumerate(STAGES)}
    out = set()
    for module, targets in edges.items():
        here = stage_of(module)
        for target in targets:
            there = stage_of(target)
            if here is not None and there is not None and rank[there] > rank[here]:
                out.add((module, target))
    return out


def test_every_module_belongs_to_a_declared_stage() -> None:
    assert sorted(m for m in graph() if stage_of(m) is None) == []


def test_every_stage_folder_is_a_package() -> None:
    """checker/<stage>/ for each declared stage, with an __init__.py."""
    assert [s for s in STAGES if not (PACKAGE / s / "__init__.py").is_file()] == []


def test_the_import_graph_has_no_circle() -> None:
    assert circles(graph()) == []


def test_imports_flow_one_way_by_stage() -> None:
    assert sorted(upward(graph())) == []


REGISTRIES = {"checker.evaluate.probes", "checker.cli.commands"}


def test_package_init_files_hold_only_a_docstring() -> None:
    """Importing any module imports its packages' __init__ first: they stay empty (a
    docstring), so that validating one file imports only what it uses. The registries
    of probes and of commands are the exceptions."""
    heavy = []
    for path in sorted(PACKAGE.rglob("__init__.py")):
        name = module_name(path)
        if name == "checker" or name in REGISTRIES or "skeleton" in path.parts:
            continue
        body = ast.parse(path.read_text(encoding="utf-8")).body
        if any(not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
               and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
               for node in body):
            heavy.append(name)
    assert heavy == []


def documented_modules() -> set[str]:
    """The files of the module tree in docs/architecture.md, as paths below checker/."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## The modules", 1)[1].split("```", 2)[1]
    found, stack = set(), []
    for line in block.splitlines()[2:]:  # after "checker/"
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2 - 1
        name = line.split()[0]
        stack[depth:] = [name]
        found.add("".join(stack))
    return found


def test_the_architecture_page_names_every_module() -> None:
    """docs/architecture.md lists every module (but __init__.py) and every folder, and
    nothing that does not exist."""
    documented = documented_modules()
    inside = [p for p in PACKAGE.rglob("*") if not {"skeleton", "__pycache__"} & set(
        p.relative_to(PACKAGE).parts[:-1]) and p.name != "__pycache__"]
    actual = {p.relative_to(PACKAGE).as_posix() for p in inside if p.suffix == ".py"
              and (p.name != "__init__.py" or p.parent == PACKAGE)}
    actual |= {p.relative_to(PACKAGE).as_posix() + "/" for p in inside if p.is_dir()}
    # a folder listed without its files (probes/, commands/) stands for all of them
    whole = {d for d in documented if d.endswith("/")
             and not any(o != d and o.startswith(d) for o in documented)}
    assert sorted(m for m in actual - documented if not any(m.startswith(d) for d in whole)) == []
    assert sorted(documented - actual) == []


def test_every_module_path_in_the_docs_exists() -> None:
    """docs/*.md and README.md name modules by path (`checker/load/fsutil.py`): each
    names a file or folder that exists."""
    root = PACKAGE.parent
    named = set()
    for doc in [*sorted((root / "docs").glob("*.md")), root / "README.md"]:
        text = doc.read_text(encoding="utf-8")
        named |= {(doc.name, m) for m in re.findall(r"\bchecker/[\w/]*\w(?:\.py|/)?", text)}
    assert sorted((doc, path) for doc, path in named if not (root / path).exists()) == []


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    """The checks themselves: a made-up graph with both faults is caught."""
    edges = {"checker.render.cards": {"checker.evaluate.engine"},
             "checker.evaluate.engine": {"checker.render.cards"},
             "checker.core.errors": set()}
    assert circles(edges) == [["checker.evaluate.engine", "checker.render.cards"]]
    assert upward(edges) == {("checker.evaluate.engine", "checker.render.cards")}


if __name__ == "__main__":
    edges = graph()
    for stage in STAGES:
        print(f"{stage}:")
        for module in sorted(m for m in edges if stage_of(m) == stage):
            below = sorted(t.removeprefix("checker.") for t in edges[module])
            print(f"  {module.removeprefix('checker.')}: {', '.join(below) or '-'}")
    for circle in circles(edges):
        print("circle:", " <-> ".join(circle))
    for module, target in sorted(upward(edges)):
        print(f"upward: {module} ({stage_of(module)}) -> {target} ({stage_of(target)})")
