"""The layering rules, read from the code's own imports (docs/architecture.md, "Layers"):

- the engine, the use cases and the CLI never import Qt;
- ``ui/`` and ``cli/`` reach the engine only through ``services`` (plus ``core.errors`` and
  ``core.progress``);
- a field package of ``core`` (``core/anonymize``, ``core/dp``, …) never imports up into
  ``core.recipe`` or ``services``, nor another field's private modules or names;
- no import cycles, between files or between packages;
- no SQL outside ``core/vault``.

Imports are read from the AST, those inside functions included (a lazy import is still a
dependency); imports under ``if TYPE_CHECKING:`` are left out of the cycle and field rules
(they never run) but count for the ui/cli rule.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "ppds_desktop"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pytestqt", "qtpy")
QT_FREE = ["core", "services", "cli", "demo"]
FRONT_ENDS = {
    "ui": ("ui", "services", "core.errors", "core.progress", "paths", ""),
    "cli": ("cli", "services", "core.errors", "core.progress", "paths", "demo", ""),
}
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|"
                 r"DELETE\s+FROM|CREATE\s+(TEMP\s+)?(TABLE|INDEX|TRIGGER|VIEW)|PRAGMA\s+\w+)",
                 re.S)


@dataclass(frozen=True)
class Import:
    source: str          # importing module, dotted, without the "ppds_desktop." prefix
    target: str          # the imported module of this package (same form)
    line: int
    type_only: bool      # under ``if TYPE_CHECKING:``
    names: tuple[str, ...]
    path: str            # the importing file, relative to the repository


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules(root: Path = PKG) -> dict[str, Path]:
    return {_module_name(p): p for p in root.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target if target in modules else ("" if target == "" else None)


def _imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_one(sub, True)
                for sub in child.orelse:
                    visit_one(sub, type_only)
            else:
                visit_one(child, type_only)

    def visit_one(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ppds_desktop":
                    add(alias.name.partition(".")[2], node, type_only, ())
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - node.level + 1]
                module = ".".join(p for p in [*base, node.module or ""] if p)
            elif (node.module or "").split(".")[0] == "ppds_desktop":
                module = node.module.partition(".")[2]
            else:
                module = None
            if module is not None:
                names = tuple(a.name for a in node.names)
                for n in names:        # ``from . import x`` imports the module x
                    sub = f"{module}.{n}" if module else n
                    if sub in modules:
                        add(sub, node, type_only, ())
                if not all((f"{module}.{n}" if module else n) in modules for n in names):
                    add(module, node, type_only, names)
        visit(node, type_only)

    def add(target: str, node: ast.AST, type_only: bool, names: tuple[str, ...]) -> None:
        resolved = _resolve(target, modules)
        if resolved is not None and resolved != name:
            found.append(Import(name, resolved, node.lineno, type_only, names,
                                str(path.relative_to(PKG.parent))))

    visit(tree, False)
    return found


@functools.lru_cache(maxsize=1)
def all_imports(root: Path = PKG) -> list[Import]:
    modules = _modules(root)
    return [imp for name, path in modules.items() for imp in _imports_of(name, path, modules)]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return out


def _package_of(module: str, modules: dict[str, Path]) -> str:
    """A module's package; a top-level file (``__main__``, ``paths``) stands for itself."""
    if modules[module].name == "__init__.py" or "." not in module:
        return module
    return module.rpartition(".")[0]


def file_cycles(imports: list[Import]) -> list[list[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if not imp.type_only:
            edges.setdefault(imp.source, set()).add(imp.target)
    return _cycles(edges)


def package_cycles(imports: list[Import], modules: dict[str, Path]) -> list[list[str]]:
    """Cycles between packages (folders); a package and the packages inside it are one."""
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.type_only:
            continue
        a, b = _package_of(imp.source, modules), _package_of(imp.target, modules)
        if a == b or b.startswith(a + ".") or a.startswith(b + "."):
            continue
        edges.setdefault(a, set()).add(b)
    return _cycles(edges)


def _describe(imp: Import) -> str:
    return f"{imp.path}:{imp.line} imports {imp.target}"


# --------------------------------------------------------------------------- the rules


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_qt_free_packages_do_not_import_qt_in_source():
    offenders = []
    for folder in QT_FREE:
        for path in (PKG / folder).rglob("*.py"):
            for mod in _imported_modules(path):
                if mod.split(".")[0] in QT_MODULES:
                    offenders.append(f"{path.relative_to(PKG)} imports {mod}")
    assert not offenders, "\n".join(offenders)


def test_importing_core_and_cli_loads_no_qt_module():
    """Also catches indirect imports (a core module importing a ui module)."""
    code = (
        "import sys, pkgutil, importlib, ppds_desktop.core, ppds_desktop.services, ppds_desktop.cli\n"
        "for pkg in (ppds_desktop.core, ppds_desktop.services, ppds_desktop.cli):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in %r]\n"
        "print(','.join(bad))\n" % (QT_MODULES,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt loaded by the Qt-free layers: {out.stdout}"


def _allowed(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or (p and target.startswith(p + ".")) for p in prefixes)


def test_ui_and_cli_reach_core_only_through_services():
    offenders = [_describe(imp) for imp in all_imports()
                 for layer, allowed in FRONT_ENDS.items()
                 if imp.source.split(".")[0] == layer and not _allowed(imp.target, allowed)]
    assert not offenders, ("ui/ and cli/ may import only services, core.errors and "
                           "core.progress; add or extend a service function instead:\n"
                           + "\n".join(offenders))


def test_field_packages_do_not_reach_up_or_into_other_fields():
    offenders = []
    for imp in all_imports():
        parts = imp.source.split(".")
        if parts[0] != "core" or len(parts) < 3 or imp.type_only:
            continue                 # only core/<field>/... files; top-level core modules are shared
        field = parts[1]
        target = imp.target.split(".")
        if target[0] in ("services", "ui", "cli", "demo"):
            offenders.append(_describe(imp) + " (up into a caller)")
        elif target[0] == "core" and len(target) > 1 and target[1] != field:
            if target[1] == "recipe":
                offenders.append(_describe(imp) + " (up into the recipe package)")
            elif any(p.startswith("_") for p in target[2:]) or \
                    any(n.startswith("_") for n in imp.names):
                offenders.append(_describe(imp) + " (a private module or name of another field)")
    assert not offenders, "\n".join(offenders)


def test_no_import_cycle_between_files():
    cycles = file_cycles(all_imports())
    assert not cycles, "files that import each other in a loop:\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_no_import_cycle_between_packages():
    modules = _modules()
    cycles = package_cycles(all_imports(), modules)
    assert not cycles, "packages that import each other in a loop:\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_sql_outside_the_vault_package():
    offenders = []
    for path in PKG.rglob("*.py"):
        if (PKG / "core" / "vault") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _docstrings(tree)
        skip |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values
                               if isinstance(v, ast.Constant) and isinstance(v.value, str))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in skip:
                text = node.value
            else:
                continue
            if SQL.search(text):
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno}: {text[:60]!r}")
    assert not offenders, ("SQL belongs in a store of core/vault (vault.datasets, "
                           "vault.ledger, …):\n" + "\n".join(offenders))


def test_the_import_reader_sees_lazy_and_relative_imports():
    """The rules above are only as good as the reader: check it on this package's own code."""
    imports = all_imports()
    pairs = {(i.source, i.target) for i in imports}
    assert ("cli.cmd_demo", "demo") in pairs                      # inside a function
    assert ("core.recipe.run", "core.recipe.model") in pairs      # relative
    assert ("core.recipe.sections", "core.perturb.recipe") in pairs
    assert any(i.type_only for i in imports)
