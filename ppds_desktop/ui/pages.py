"""The main window's navigation: one ``PageSpec`` per page, contributed by each area.

``factory(session) -> QWidget`` builds the page when it is first shown (imports stay inside the
factory so that opening the window does not import every feature). Pages are listed by
``order`` (then by position in ``PAGES``): Datasets comes first, the feature pages that areas
append use the default 50, and Audit log and Settings stay at the end.

To add a page, append one line, e.g.::

    PAGES.append(PageSpec("prepare", "Prepare release", _prepare_page,
                          tooltip="De-identify a dataset step by step"))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[..., QWidget]   # factory(session: AppSession) -> QWidget
    tooltip: str = ""
    order: int = 50


def _datasets_page(session) -> QWidget:
    from .datasets_page import DatasetsPage

    return DatasetsPage(session)


def _audit_page(session) -> QWidget:
    from .audit_page import AuditPage

    return AuditPage(session)


def _settings_page(session) -> QWidget:
    from .settings_page import SettingsPage

    return SettingsPage(session)


PAGES: list[PageSpec] = [
    PageSpec("datasets", "Datasets", _datasets_page, order=10,
             tooltip="The datasets in this vault: data, column profile and roles, provenance"),
    PageSpec("audit", "Audit log", _audit_page, order=90,
             tooltip="Everything done in this vault, in a tamper-evident hash chain"),
    PageSpec("settings", "Settings", _settings_page, order=100,
             tooltip="Auto-lock and other preferences of this vault"),
]


def _prepare_page(session) -> QWidget:
    from .prepare.wizard import PrepareWizard

    return PrepareWizard(session)


PAGES.append(PageSpec("prepare", "Prepare release", _prepare_page, order=40,
                      tooltip="De-identify a dataset step by step: preset, column actions, "
                              "privacy model, risk and utility, then save it as a release"))


def _identity_page(session) -> QWidget:
    from .share.identity_page import IdentityContactsPage

    return IdentityContactsPage(session)


PAGES.append(PageSpec("sharing", "Identity & sharing", _identity_page, order=70,
                      tooltip="Your identity, your verified contacts, and share bundles: "
                              "seal a release for contacts, open a bundle you received"))


def _dp_statistics_page(session) -> QWidget:
    from .dp.stats_page import DPStatisticsPage

    return DPStatisticsPage(session)


PAGES.append(PageSpec("dp_statistics", "Differential privacy", _dp_statistics_page,
                      order=55, tooltip="Counts, means, histograms and quantiles with DP noise and "
                                        "95% intervals, spending the dataset's privacy budget"))


def _he_page(session) -> QWidget:
    from .he.he_page import HomomorphicPage

    return HomomorphicPage(session)


PAGES.append(PageSpec("he", "Encrypted aggregation", _he_page, order=60,
                      tooltip="Sums, means and variances over several sites' encrypted "
                              "columns; only the key holder decrypts the combined cells"))


def _studies_page(session) -> QWidget:
    from .studies.studies_page import StudiesPage

    return StudiesPage(session)


PAGES.append(PageSpec("studies", "Studies", _studies_page, order=65,
                      tooltip="Multi-site studies: several hospitals' totals added up "
                              "encrypted; only enough key-share holders together reveal them"))


def ordered_pages() -> list[PageSpec]:
    return sorted(PAGES, key=lambda spec: spec.order)  # sorted() is stable
