"""The user guide (issue 14): docs/user-guide.md with its pictures from the GUI tour, shipped
with the app and opened offline from Help ▸ User guide."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument

from conftest import REPO_ROOT
from ppds_desktop.paths import user_guide

GUIDE = REPO_ROOT / "docs" / "user-guide.md"


def _pictures() -> list[str]:
    return re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", GUIDE.read_text(encoding="utf-8"))


def test_guide_covers_the_four_journeys_with_pictures_from_the_tour():
    sys.path.insert(0, str(REPO_ROOT / "docs"))
    from make_guide_images import SHOTS

    text = GUIDE.read_text(encoding="utf-8")
    for heading in ("## 1. Prepare and share a release",
                    "## 2. Answer questions with differential privacy",
                    "## 3. Take part in an encrypted aggregation",
                    "## 4. Take part in a multi-site study"):
        assert heading in text
    pictures = _pictures()
    assert len(pictures) >= 20
    names = {Path(p).stem for p in pictures}
    # Each picture is made from a tour screenshot, or (studies-*) from a screen of the Studies
    # GUI test run with PPDS_STUDY_SHOTS set; no picture in docs/images goes unused.
    studies = {n for n in names if n.startswith("studies-")}
    assert 3 <= len(studies) and names - studies <= set(SHOTS)
    files = list((REPO_ROOT / "docs" / "images").glob("*.png"))
    assert {f.stem for f in files} == set(SHOTS) | studies
    assert names == set(SHOTS) | studies
    assert sum(f.stat().st_size for f in files) < 3_000_000


def test_help_opens_the_guide_offline_with_its_pictures(qtbot, vault):
    from ppds_desktop.ui.main_window import MainWindow
    from ppds_desktop.ui.session import AppSession

    assert user_guide() == GUIDE
    window = MainWindow(AppSession(vault))
    qtbot.addWidget(window)
    assert window.guide_action in window.menuBar().actions()[-1].menu().actions()
    window.guide_action.trigger()
    browser = window.guide.browser
    assert window.guide.isVisible()
    assert browser.source() == QUrl.fromLocalFile(str(GUIDE))
    assert "Prepare and share a release" in browser.toPlainText()
    document = browser.document()
    for picture in _pictures()[:3]:
        image = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(picture))
        assert image is not None and not image.isNull(), picture


def test_installers_ship_the_guide():
    spec = (REPO_ROOT / "packaging" / "ppds.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "docs" / "user-guide.md"), "docs")' in spec
    assert '(str(ROOT / "docs" / "images"), "docs/images")' in spec
