"""The layering rule: the engine, the use cases and the CLI never import Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "ppds_desktop"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pytestqt", "qtpy")
QT_FREE = ["core", "services", "cli"]


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
