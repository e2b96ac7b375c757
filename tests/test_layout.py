"""The house has the shape of its pipeline: stages are folders with one face each, imports only
run down the pipeline, and only the CLI knows click. Read from the source, not by importing it."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "deckbuilder"

BASE = {"errors", "paths", "files", "atomic", "render", "apkg"}
STAGES = {"source", "notes", "ledger", "install", "cli"}

# Which unit may import which: a stage folder or a top-level module is a unit. Down the
# pipeline only: files -> source -> notes -> ledger -> package -> build, and the CLI over all.
# The shared base (errors, paths, files, atomic, render, apkg) is one unit: it imports nothing
# above.
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "source": {"base"},
    "notes": {"source", "base"},
    "ledger": {"notes", "base"},  # never source/: the ledger plans from notes, not from files
    "package": {"notes", "source", "base"},
    "safety": {"ledger", "base"},
    "build": {"package", "safety", "ledger", "notes", "source", "base"},
    "preview": {"build", "ledger", "notes", "source", "base"},
    "verify": {"ledger", "notes", "source", "base"},
    "upgrade": {"ledger", "base"},  # beside verify: what each Anki importer makes of two packages
    "recover": {"build", "ledger", "notes", "source", "base"},
    "install": {"package", "ledger", "notes", "base"},
    "new": {"ledger", "notes", "source", "base"},
    "cli": {"build", "preview", "verify", "upgrade", "recover", "install", "new", "safety",
            "package",
            "ledger", "notes", "source", "base"},
}
MAX_CHAIN = 6  # edges between units; genanki has 3, sqlite-utils 5


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str) -> list[tuple[str, int]]:
    """Every module this one imports (any depth, TYPE_CHECKING too), with its line."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(parts + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            # `from deckbuilder.x import y` where y is a module imports y too
            found += [(f"{module}.{a.name}", node.lineno) for a in node.names
                      if f"{module}.{a.name}" in MODULES]
    return found


def _unit(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "deckbuilder":
        return None
    if len(parts) == 1:
        return "deckbuilder"
    return "base" if parts[1] in BASE else parts[1]


def _internal_edges():
    for name in MODULES:
        for target, line in _imports(name):
            if _unit(target) is not None:
                yield name, target, line


def test_every_module_belongs_to_a_known_unit():
    units = {_unit(name) for name in MODULES} - {"deckbuilder"}
    assert units <= set(ALLOWED), f"modules outside the layout: {units - set(ALLOWED)}"


def test_imports_run_down_the_pipeline_only():
    wrong = []
    for name, target, line in _internal_edges():
        unit, other = _unit(name), _unit(target)
        if unit == "deckbuilder" or other == unit:
            continue
        if other == "deckbuilder":  # the package face holds the base's DeckError and Problem
            other = "base"
        if other not in ALLOWED.get(unit or "", set()):
            wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line}: {unit} imports {other}")
    assert not wrong, "\n".join(wrong)


def test_stages_are_entered_by_their_face():
    wrong = []
    for name, target, line in _internal_edges():
        other = _unit(target)
        if other in STAGES and _unit(name) != other and target != f"deckbuilder.{other}":
            wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line}: imports {target}, "
                         f"not deckbuilder.{other}")
    assert not wrong, "\n".join(wrong)


def test_each_stage_face_names_its_public_names():
    for stage in STAGES - {"cli", "install"}:
        face = ast.parse((PACKAGE / stage / "__init__.py").read_text("utf-8"))
        assigned = [node for node in face.body if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", "") == "__all__" for t in node.targets)]
        assert assigned, f"deckbuilder/{stage}/__init__.py has no __all__"
        assert ast.get_docstring(face), f"deckbuilder/{stage}/__init__.py says nothing of itself"


def test_only_the_cli_imports_click():
    wrong = [f"{MODULES[name].relative_to(ROOT)}:{line}" for name in MODULES
             for target, line in _imports(name)
             if target.split(".")[0] == "click" and _unit(name) != "cli"]
    assert not wrong, f"click outside deckbuilder/cli: {wrong}"


def _unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {unit: set() for unit in ALLOWED}
    for name, target, _ in _internal_edges():
        unit, other = _unit(name), _unit(target)
        if unit and other and unit != other and "deckbuilder" not in (unit, other):
            graph[unit].add(other)
    return graph


def test_no_cycle_and_a_short_longest_chain() -> None:
    graph = _unit_graph()

    @functools.cache
    def chain(unit: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        assert unit not in seen, f"import cycle through {unit}: {sorted(seen)}"
        longest: tuple[str, ...] = ()
        for other in graph[unit]:
            longer = chain(other, seen | {unit})
            longest = max(longest, longer, key=len)
        return (unit, *longest)

    longest = max((chain(unit) for unit in graph), key=len)
    assert len(longest) - 1 <= MAX_CHAIN, " -> ".join(longest)


def test_no_module_imports_itself_in_a_circle() -> None:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, target, _ in _internal_edges():
        if target in MODULES and target != name and not target.startswith(name + "."):
            graph[name].add(target)
    state: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        state[name] = 1
        for other in graph[name]:
            # A face importing its own modules is the package machinery, not a cycle.
            if state.get(other) == 1 and not name.startswith(other + "."):
                raise AssertionError("import cycle: " + " -> ".join((*path, name, other)))
            if other not in state:
                visit(other, (*path, name))
        state[name] = 2

    for name in MODULES:
        if name not in state:
            visit(name, ())


def test_nothing_but_the_package_is_installed():
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert "py-modules" not in pyproject
    assert 'build-deck = "deckbuilder.cli:main"' in pyproject
    shim = (ROOT / "build_deck.py").read_text("utf-8")
    assert "from deckbuilder.cli import" in shim and len(shim.splitlines()) < 20
