"""The app's look: a light scheme, pinned whatever the system's appearance.

``resources/style.qss`` gives pages, cards, tables and notes light backgrounds. Text colours
come from the palette, and in macOS or Windows dark mode the system palette has light text:
light on white, including the recovery key shown once. So the palette is pinned to the light
colours the style sheet was drawn for, and Qt is asked for the light scheme (native controls on
macOS and Windows 11 follow it; the macOS bundle also sets ``NSRequiresAquaSystemAppearance``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from ..paths import resource

def app_icon() -> QIcon:
    return QIcon(str(resource("icons/app.svg")))


TEXT = "#1f2d3a"
DISABLED_TEXT = "#7b8691"

_ACTIVE = {
    QPalette.ColorRole.Window: "#f6f7f9",
    QPalette.ColorRole.WindowText: TEXT,
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f5f7fa",
    QPalette.ColorRole.Text: TEXT,
    QPalette.ColorRole.PlaceholderText: "#66727e",
    QPalette.ColorRole.Button: "#eef1f4",
    QPalette.ColorRole.ButtonText: TEXT,
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#e3e7ec",
    QPalette.ColorRole.Mid: "#c9d0d7",
    QPalette.ColorRole.Dark: "#9aa4ae",
    QPalette.ColorRole.Shadow: "#5b6975",
    QPalette.ColorRole.Highlight: "#2f6f8f",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#fffdf3",
    QPalette.ColorRole.ToolTipText: TEXT,
    QPalette.ColorRole.Link: "#1f5f8f",
    QPalette.ColorRole.LinkVisited: "#5b3f8f",
}
_DISABLED = {
    QPalette.ColorRole.WindowText: DISABLED_TEXT,
    QPalette.ColorRole.Text: DISABLED_TEXT,
    QPalette.ColorRole.ButtonText: DISABLED_TEXT,
    QPalette.ColorRole.Base: "#f3f5f7",
    QPalette.ColorRole.Button: "#f0f2f4",
    QPalette.ColorRole.Highlight: "#b9c6cf",
}


def light_palette() -> QPalette:
    palette = QPalette()
    for role, color in _ACTIVE.items():
        palette.setColor(role, QColor(color))
    for role, color in _DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(color))
    return palette


def apply_theme(app: QApplication) -> None:
    """Light scheme, light palette, then the style sheet drawn for them."""
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):       # Qt 6.8 and later
        hints.setColorScheme(Qt.ColorScheme.Light)
    app.setPalette(light_palette())
    style_file = resource("style.qss")
    if style_file.exists():
        app.setStyleSheet(style_file.read_text(encoding="utf-8"))
