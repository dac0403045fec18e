"""Texts that reach a screen name no CLI command or option: ``core`` and ``services`` put a
command or flag only in a "(CLI: …)"-style aside or in a hint, which ``plain.screen_text`` /
``plain.hint_text`` (and ``ui.errors.error_line`` for inline errors) leave out; the CLI keeps
them (``str(exc)``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from conftest import REPO_ROOT
from ppds_desktop.core.dp.accounting import Cost
from ppds_desktop.core.dp.ledger import budget_status
from ppds_desktop.core.errors import BudgetExceeded, PPDSError
from ppds_desktop.services import plain
from ppds_desktop.ui.errors import error_line

PKG = REPO_ROOT / "ppds_desktop"
CLI = re.compile(r"\bppds [a-z]|(?<![\w-])--[a-z]|\bCLI\b|=True\b")


def test_no_budget_error_says_where_to_set_one_in_words(vault):
    vault.put_dataset("patients", pd.DataFrame({"x": [1, 2]}))
    with pytest.raises(BudgetExceeded) as caught:
        budget_status(vault, "patients").check(Cost(epsilon=0.5))
    assert error_line(caught.value) == (
        "Privacy budget exceeded: asked ε=0.5, but only ε=0 remains (ε=0 already spent). "
        "Nothing was released. No privacy budget is set for patients; its owner sets one on "
        "the Differential privacy page.")
    assert "ppds dp budget set" in str(caught.value)          # the CLI still names it


def _text(node: ast.AST) -> str | None:
    """A string expression as a screen could get it, values shown as "X" (None when it is
    not made of literals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp):          # both branches, one after the other
        body, orelse = _text(node.body), _text(node.orelse)
        return None if body is None or orelse is None else body + " " + orelse
    return None


def _texts(path: Path):
    """(line, text, is_hint) of every string of a module that is not a docstring, an option
    a ConfirmationNeeded names, or a part of a longer string."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    found = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))                                  # docstring
        hints = []
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                    func.value.id == "re":
                skip.update(id(n) for n in ast.walk(node))            # a pattern, not a text
            for kw in node.keywords:
                if kw.arg == "option":
                    skip.update(id(n) for n in ast.walk(kw.value))
                elif kw.arg == "hint":
                    hints.append(kw.value)
        if isinstance(node, ast.Assign) and any(
                (isinstance(t, ast.Attribute) and t.attr == "hint")
                or (isinstance(t, ast.Name) and t.id.endswith("_HINT")) for t in node.targets):
            hints.append(node.value)
        for hint in hints:
            skip.update(id(n) for n in ast.walk(hint))
            text = _text(hint)
            if text is not None:
                found.append((hint.lineno, text, True))
        if isinstance(node, (ast.JoinedStr, ast.BinOp, ast.IfExp)):
            skip.update(id(n) for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp,
                                                     ast.IfExp)):
            continue
        text = _text(node)
        if text is not None:
            found.append((node.lineno, text, False))
    return found


def test_every_text_of_core_and_services_reaches_a_screen_without_cli():
    leaks = []
    for path in sorted([*PKG.joinpath("core").rglob("*.py"),
                        *PKG.joinpath("services").rglob("*.py")]):
        for line, text, is_hint in _texts(path):
            if not CLI.search(text):
                continue
            shown = (plain.hint_text(PPDSError("message", hint=text)) or "") if is_hint \
                else plain.screen_text(text)
            if CLI.search(shown):
                leaks.append(f"{path.relative_to(PKG)}:{line}: {shown!r}")
    assert not leaks, "\n".join(leaks)


def test_pages_show_errors_through_error_line():
    """Inline error labels get ``error_line`` (message in words + hint), never the raw
    ``str(exc)`` (which carries the CLI's options) or ``exc.message`` (which drops the hint)."""
    raw = re.compile(r"str\((?:exc|error|err|e)\)|\{(?:exc|error|err|e)\}|"
                     r"(?<!== )\b(?:exc|error|err|e)\.message(?!\.startswith)|"
                     r"getattr\((?:exc|error|err|e), \"message\"")
    allowed = {"errors.py", "main_window.py"}     # main_window: a page that failed to build
    found = [f"{p.relative_to(PKG)}:{n}: {line.strip()}"
             for p in sorted(PKG.joinpath("ui").rglob("*.py")) if p.name not in allowed
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if raw.search(line) and "Unexpected error" not in line]
    assert not found, "\n".join(found)


def test_dp_statistics_warning_names_no_cli_option(qtbot, vault):
    from ppds_desktop.core.dp import ledger
    from ppds_desktop.ui.dp.stats_page import DPStatisticsPage
    from ppds_desktop.ui.session import AppSession

    rng = np.random.default_rng(2)
    vault.put_dataset("admissions", pd.DataFrame(
        {"Medical Condition": rng.choice(["Asthma", "Cancer", "Flu"], 400)}))
    ledger.set_budget(vault, "admissions", epsilon=1.0)
    page = DPStatisticsPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("count"))
    for i in range(page.group_list.count()):
        if page.group_list.item(i).text() == "Medical Condition":
            page.group_list.item(i).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)      # categories left empty
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    shown = page.notes_label.text()
    assert "were taken from the data" in shown and "Declare them to avoid this" in shown
    assert not CLI.search(shown), shown
