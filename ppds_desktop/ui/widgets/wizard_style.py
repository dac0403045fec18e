"""Every wizard looks and reads the same: the platform's wizard style (Aero on Windows, the
Mac style on macOS, the Modern style elsewhere), buttons worded Back / Next / Finish / Cancel
with access keys, in the platform's order. A step that commits work names it on its button
(Import, Seal and save), as the Windows and macOS guidelines ask, and the last page offers one
Finish."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QWizard

BUTTON_TEXTS = {
    QWizard.WizardButton.BackButton: "< &Back",
    QWizard.WizardButton.NextButton: "&Next >",
    QWizard.WizardButton.FinishButton: "&Finish",
    QWizard.WizardButton.CancelButton: "Cancel",
}


def standard_wizard(wizard: QWizard) -> QWizard:
    if sys.platform not in ("darwin", "win32"):          # Qt's own choice there is native
        wizard.setWizardStyle(QWizard.WizardStyle.ModernStyle)
    for button, text in BUTTON_TEXTS.items():
        wizard.setButtonText(button, text)
    wizard.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
    return wizard


def finished_state(wizard: QWizard) -> None:
    """The work is done: only Finish is left (no Cancel beside it, nothing to go back to)."""
    wizard.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
    wizard.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
    wizard.button(QWizard.WizardButton.CancelButton).setVisible(False)
    wizard.button(QWizard.WizardButton.BackButton).setVisible(False)
