"""File dialogs for share bundles, used by the Share and Open wizards and the Encrypted
aggregation page, so that every page filters on the same suffix and a saved bundle gets it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from ...services.sharing import BUNDLE_SUFFIX

_FILTER = f"Share bundles (*{BUNDLE_SUFFIX})"


def ask_bundle_to_open(parent: QWidget, title: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", f"{_FILTER};;All files (*)")
    return Path(path) if path else None


def ask_bundle_to_save(parent: QWidget, title: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, "", _FILTER)
    if not path:
        return None
    return Path(path if path.endswith(BUNDLE_SUFFIX) else path + BUNDLE_SUFFIX)
