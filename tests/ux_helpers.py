"""Set-ups shared by the issue-14 GUI tests: the demo sample in a vault, the Prepare wizard
at its preset step, the DP page ready to count."""

from __future__ import annotations

from ppds_desktop.core.dp import ledger
from ppds_desktop.ui.session import AppSession

SAMPLE = "Sample admissions"


def import_sample(vault):
    from ppds_desktop.paths import sample_csv
    from ppds_desktop.services.datasets import import_file

    return import_file(vault, sample_csv(), name=SAMPLE)


def prepare_wizard(qtbot, vault):
    """The Prepare wizard with the sample loaded, on the preset step."""
    from ppds_desktop.ui.prepare.wizard import PrepareWizard

    w = PrepareWizard(AppSession(vault))
    qtbot.addWidget(w)
    w.show()
    w.select_dataset(SAMPLE)
    w.next()
    qtbot.waitUntil(lambda: w.steps.currentIndex() == 1, timeout=30_000)
    return w


def dp_count_page(qtbot, vault, epsilon: float):
    """The DP page on its privacy step, asking for a count of the sample, with a budget."""
    from ppds_desktop.ui.dp.stats_page import DPStatisticsPage

    ledger.set_budget(vault, SAMPLE, epsilon=epsilon)
    page = DPStatisticsPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    page.dataset_combo.setCurrentText(SAMPLE)
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("count"))
    page.go(2)
    return page
