"""Readable text when the system is in dark mode (macOS, Windows 11): with a dark system
palette, every text on every page of the main window, on the first-run wizard (including the
recovery key shown once) and on the unlock screen keeps a WCAG contrast of at least 4.5:1
against what is drawn behind it. Measured on the rendered pixels, headless."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QApplication,
                               QComboBox, QLabel, QLineEdit, QTextEdit, QWidget, QWizard)

from ppds_desktop.core.sample import generate_admissions
from ppds_desktop.ui.first_run import PAGE_CREATE, PAGE_RECOVERY, FirstRunWizard
from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.session import AppSession
from ppds_desktop.ui.unlock import UnlockWindow

WCAG_AA = 4.5
STRONG = "maple orbit lantern quiet seventy"

_DARK = {
    QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#f0f0f0",
    QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.Text: "#f0f0f0", QPalette.ColorRole.Button: "#3a3a3a",
    QPalette.ColorRole.ButtonText: "#f0f0f0", QPalette.ColorRole.Highlight: "#2f65ca",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b2b2b",
    QPalette.ColorRole.ToolTipText: "#f0f0f0", QPalette.ColorRole.PlaceholderText: "#9a9a9a",
    QPalette.ColorRole.Light: "#505050", QPalette.ColorRole.Midlight: "#404040",
    QPalette.ColorRole.Mid: "#353535", QPalette.ColorRole.Dark: "#202020",
    QPalette.ColorRole.Shadow: "#101010", QPalette.ColorRole.Link: "#6fa8ff",
}


@pytest.fixture
def dark_system(qapp):
    """The system palette of dark mode, then the app's theme applied as ``run_app`` does."""
    from ppds_desktop.ui.theme import apply_theme

    old_palette, old_sheet = QPalette(qapp.palette()), qapp.styleSheet()
    dark = QPalette()
    for role, color in _DARK.items():
        dark.setColor(role, QColor(color))
    qapp.setPalette(dark)
    apply_theme(qapp)
    yield qapp
    qapp.setStyleSheet(old_sheet)
    qapp.setPalette(old_palette)
    hints = qapp.styleHints()
    if hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()


def _luminance(rgb: int) -> float:
    def channel(c: int) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel((rgb >> 16) & 255) + 0.7152 * channel((rgb >> 8) & 255)
            + 0.0722 * channel(rgb & 255))


def contrast(a: int, b: int) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_contrast(image: QImage) -> float:
    """Contrast between the background (the commonest colour) and the text (the colour that
    stands out most from it) of a rendered piece of text."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    counts: dict[int, int] = {}
    for y in range(image.height()):
        for x in range(image.width()):
            rgb = image.pixel(x, y) & 0xFFFFFF
            counts[rgb] = counts.get(rgb, 0) + 1
    background = max(counts, key=counts.get)
    return max(contrast(background, rgb) for rgb in counts)


def _shown_text(widget: QWidget) -> str:
    if isinstance(widget, QLabel):
        return re.sub(r"<[^>]+>", "", widget.text()).strip()
    if isinstance(widget, (QAbstractButton, QLineEdit)):
        return widget.text().strip()
    if isinstance(widget, QComboBox):
        return widget.currentText().strip()
    if isinstance(widget, QAbstractSpinBox):
        return widget.text().strip()
    if isinstance(widget, QTextEdit):
        return widget.toPlainText().strip()
    if isinstance(widget, QAbstractItemView):
        model = widget.model()
        return "rows" if model is not None and model.rowCount() > 0 else ""
    return ""


def low_contrast(window: QWidget) -> list[str]:
    """Every visible, enabled text widget of ``window`` whose text is below 4.5:1."""
    QApplication.processEvents()
    shot = window.grab().toImage()
    found = []
    for widget in window.findChildren(QWidget):
        text = _shown_text(widget)
        if not text or not widget.isVisible() or not widget.isEnabled():
            continue
        area = widget.visibleRegion().boundingRect()
        if isinstance(widget, (QAbstractItemView, QTextEdit)):
            area = widget.viewport().geometry().intersected(area)
        elif not isinstance(widget, QLabel):
            area = area.adjusted(3, 3, -3, -3)      # inside frames and borders
        if area.width() < 4 or area.height() < 4:
            continue
        crop = shot.copy(QRect(widget.mapTo(window, area.topLeft()), area.size()))
        ratio = text_contrast(crop)
        if ratio < WCAG_AA:
            found.append(f"{type(widget).__name__} {widget.objectName()!r} "
                         f"{text[:40]!r}: {ratio:.2f}")
    return found


def _wait_idle(qtbot, session: AppSession) -> None:
    qtbot.waitUntil(lambda: not session.busy_runners(), timeout=30_000)


def test_every_main_window_page_is_readable_in_dark_mode(dark_system, qtbot, vault):
    vault.put_dataset("admissions", generate_admissions(120, seed=5))
    session = AppSession(vault)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    problems = []
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        _wait_idle(qtbot, session)
        page = window.nav.item(row).text()
        problems += [f"{page}: {line}" for line in low_contrast(window)]
    box = window.show_shortcuts()
    problems += [f"shortcuts: {line}" for line in low_contrast(box)]
    box.close()
    assert problems == []


def test_first_run_and_the_recovery_key_are_readable_in_dark_mode(dark_system, qtbot, tmp_path):
    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    problems = [f"choose: {line}" for line in low_contrast(wizard)]
    wizard.next()
    create = wizard.page(PAGE_CREATE)
    create.location.edit.setText(str(tmp_path / "dark.vault"))
    create.fields.passphrase.setText(STRONG)
    create.fields.confirm.setText(STRONG)
    problems += [f"create: {line}" for line in low_contrast(wizard)]
    recovery = wizard.page(PAGE_RECOVERY)
    with qtbot.waitSignal(recovery.runner.finished, timeout=30_000):
        wizard.next()
    assert recovery.key.isVisible() and recovery.key.text()
    problems += [f"recovery: {line}" for line in low_contrast(wizard)]
    assert not any("recoveryKeyDisplay" in line for line in problems)
    assert problems == []
    recovery.confirm.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    wizard.vault.lock()


def test_unlock_screen_is_readable_in_dark_mode(dark_system, qtbot, vault, vault_path):
    vault.lock()
    window = UnlockWindow(vault_path, note="A note shown above the passphrase field.")
    qtbot.addWidget(window)
    window.show()
    window.passphrase.setText("not the passphrase")
    with qtbot.waitSignal(window.runner.ended, timeout=30_000):
        window.unlock()
    assert window.error.text()
    assert low_contrast(window) == []


def test_contrast_measure_tells_readable_from_unreadable(qapp):
    """The measure itself: dark grey on white passes, white on near-white fails."""
    readable, unreadable = QLabel("Recovery key  ABCD-EFGH"), QLabel("Recovery key  ABCD-EFGH")
    readable.setStyleSheet("background: white; color: #1f2d3a")
    unreadable.setStyleSheet("background: #fffdf3; color: #f0f0f0")
    for label in (readable, unreadable):
        label.resize(220, 30)
    assert text_contrast(readable.grab().toImage()) > 10
    assert text_contrast(unreadable.grab().toImage()) < 1.2
    assert contrast(0x000000, 0xFFFFFF) == pytest.approx(21)
