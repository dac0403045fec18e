"""Safety rail: a DP query grouped by a quasi-identifier or a column with many values needs
its categories (or bins) declared before anything is spent; released counts are never below
zero; a chart of many groups stays readable."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from conftest import PASSPHRASE
from dp_test_rng import SeededTestRng
from PySide6.QtCore import Qt

from ppds_desktop.cli import main
from ppds_desktop.core.charts import bar_chart
from ppds_desktop.core.dp import ledger
from ppds_desktop.core.dp.query import MAX_UNDECLARED_CATEGORIES, QueryOptions, evaluate, parse_query
from ppds_desktop.core.errors import InputError
from ppds_desktop.paths import sample_csv
from ppds_desktop.services import datasets
from ppds_desktop.services import dp as dp_service


@pytest.fixture
def sample(vault):
    info = datasets.import_file(vault, sample_csv(), name="adm")
    ledger.set_budget(vault, "adm", epsilon=5.0)
    return info


def _spent(vault):
    return ledger.budget_status(vault, "adm").epsilon_spent


def test_quasi_identifier_and_many_values_are_refused_before_spending(vault, sample):
    assert vault.roles(sample.id)["Gender"].role == "quasi_identifier"
    with pytest.raises(InputError, match="Gender is a quasi-identifier.*nothing was spent"):
        dp_service.run_query(vault, "adm", "count by Gender", epsilon=0.5)
    rooms = pd.read_csv(sample_csv())["Room Number"].nunique()
    assert rooms > MAX_UNDECLARED_CATEGORIES and vault.roles(sample.id)["Room Number"].role \
        == "insensitive"
    with pytest.raises(InputError, match=f"Room Number has {rooms:,} different values"):
        dp_service.run_query(vault, "adm", "count by Room Number", epsilon=0.5)
    with pytest.raises(InputError, match="direct identifier"):
        dp_service.run_query(vault, "adm", "count by SSN", epsilon=0.5)
    assert _spent(vault) == 0 and vault.list_releases() == []
    # declared: categories, or bins over declared bounds for a number
    dp_service.run_query(vault, "adm", "count by Gender", epsilon=0.5,
                         domains={"Gender": ["Female", "Male"]})
    out = dp_service.run_query(vault, "adm", "count by Room Number", epsilon=0.5,
                               bounds={"Room Number": (100, 500)})
    assert len(out.result.rows) == 10
    # few values, not a quasi-identifier: read from the data, with the warning
    out = dp_service.run_query(vault, "adm", "count by Medical Condition", epsilon=0.5)
    assert any("taken from the data" in w for w in out.result.warnings)


def test_only_counts_that_decide_are_read_from_the_data(vault, sample, monkeypatch):
    """Without distinct counts in the profile, a declared column or a (quasi-)identifier is
    not counted on the data: its count decides nothing (the page asks on every keystroke)."""
    monkeypatch.setattr(vault, "dataset_info",
                        lambda ref: dataclasses.replace(sample, profile=None))
    read, load = [], vault.load_dataset
    monkeypatch.setattr(vault, "load_dataset",
                        lambda ref, columns=None, task=None: read.append(columns)
                        or load(ref, columns, task))
    needs = dp_service.grouping_needs(vault, "adm", "count by Gender, SSN, Room Number",
                                      domains={"Room Number": ["101"]})
    assert [n.column for n in needs] == ["Gender", "SSN"] and read == []
    needs = dp_service.grouping_needs(vault, "adm", "count by Gender, Room Number")
    assert [n.column for n in needs] == ["Gender", "Room Number"]
    assert read == [["Room Number"]]


def test_cli_refuses_with_one_line_saying_how_to_declare(tmp_path, vault_path, monkeypatch,
                                                         capsys):
    from ppds_desktop.core.vault import Vault

    v, _ = Vault.create(vault_path, PASSPHRASE)
    datasets.import_file(v, sample_csv(), name="adm")
    ledger.set_budget(v, "adm", epsilon=1.0)
    v.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    assert main(["dp", "query", "adm", "count by Age", "--epsilon", "0.5",
                 "--vault", str(vault_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Age is a quasi-identifier" in err
    assert '--domain "Age=A|B|C"' in err and '--bounds "Age=LO:HI"' in err
    assert main(["dp", "query", "adm", "count by Age", "--epsilon", "0.5", "--bounds",
                 "Age=0:100", "--vault", str(vault_path)]) == 0


def test_counts_are_post_processed_to_be_non_negative():
    df = pd.DataFrame({"g": ["a"] * 5})
    query, _ = parse_query("count by g")
    opts = QueryOptions(domains={"g": [f"c{i}" for i in range(200)]}, epsilon=0.05)
    result = evaluate(df, query, opts, rng=SeededTestRng(7))     # 199 empty groups, big noise
    assert all(r["value"] >= 0 and r["ci_low"] >= 0 for r in result.rows)
    assert sum(r["value"] == 0 for r in result.rows) > 50        # about half were below 0
    assert any("never shown below 0" in n for n in result.notes)


def test_a_chart_of_many_groups_shows_the_largest_and_adds_up_the_rest():
    labels = [f"1950-01-{i:02d}" for i in range(1, 61)]
    values = [1] * 41 + list(range(100, 119))              # a long tail of small groups
    svg = bar_chart(labels, values, title="count by Date of Birth", ylabel="count",
                    max_bars=20)
    bars = re.findall(r"<rect x=\S+ y=\S+ width=\S+ height=\S+ fill=\"#4c78a8\">", svg)
    assert len(bars) == 20 and "other 41 groups" in svg
    assert "1950-01-60" in svg and "1950-01-02" not in svg     # the largest are kept
    assert "the largest 19 of 60 groups" in svg
    # groups of similar size: their sum would squash the bars flat, so it is said, not drawn
    even = bar_chart(labels, [20 + i % 3 for i in range(60)], max_bars=20)
    assert len(re.findall(r'fill="#4c78a8">', even)) == 20 and "are in the table" in even
    means = bar_chart(labels, values, max_bars=20, others=False)
    assert "other" not in means and "the largest 20 of 60 groups" in means


@pytest.fixture
def page(qtbot, vault, sample):
    from ppds_desktop.ui.dp.stats_page import DPStatisticsPage
    from ppds_desktop.ui.session import AppSession

    w = DPStatisticsPage(AppSession(vault))
    qtbot.addWidget(w)
    w.resize(1100, 760)
    w.show()
    return w


def _check(page, column):
    for i in range(page.group_list.count()):
        if page.group_list.item(i).text() == column:
            page.group_list.item(i).setCheckState(Qt.CheckState.Checked)


def test_page_asks_for_categories_and_keeps_run_disabled_with_the_reason(qtbot, page, vault):
    click = lambda: qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)  # noqa: E731
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("count"))
    _check(page, "Gender")
    _check(page, "Room Number")
    click()
    assert page.steps.currentIndex() == 1
    notes = {c: n.text() for c, n in page.group_notes.items()}
    assert notes["Gender"].startswith("Required: Gender is a quasi-identifier")
    assert "different values" in notes["Room Number"] and "bins" in notes["Room Number"]
    click()
    assert page.steps.currentIndex() == 2 and not page.next_button.isEnabled()
    assert "Gender is a quasi-identifier" in page.run_blocker.text()
    assert "nothing has been spent" in page.run_blocker.text()
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    page.domain_edits["Gender"].setText("Female|Male")
    lo, hi = page.bin_edits["Room Number"]
    lo.setText("100")
    hi.setText("500")
    assert page.group_notes["Gender"].text().startswith("Declared")
    click()
    assert page.next_button.isEnabled() and not page.run_blocker.text()
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        click()
    assert page.steps.currentIndex() == 3 and page.table.rowCount() == 20
    assert "never shown below 0" in page.notes_label.text()
    assert _spent(vault) == pytest.approx(0.5)
