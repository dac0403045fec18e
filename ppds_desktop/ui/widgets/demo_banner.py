"""The strip that says "demo vault" on every screen of the public demo vault (its passphrase
is published, so nothing real belongs in it)."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QFormLayout, QLabel, QWizard

DEMO_BANNER_TEXT = ("<b>Demo vault</b> — its passphrase is public, so anyone can open it. "
                    "Use it to try the app with the synthetic sample only, never with real "
                    "patient data.")


class DemoBanner(QLabel):
    def __init__(self, parent=None):
        super().__init__(DEMO_BANNER_TEXT, parent)
        self.setObjectName("demoBanner")
        self.setWordWrap(True)
        self.setAccessibleName("Demo vault warning")


def add_to_wizard(wizard: QWizard) -> None:
    """Put a banner at the top of every page of ``wizard`` (pages added before the call)."""
    for page_id in wizard.pageIds():
        layout = wizard.page(page_id).layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, DemoBanner())
        elif isinstance(layout, QFormLayout):
            layout.insertRow(0, DemoBanner())
