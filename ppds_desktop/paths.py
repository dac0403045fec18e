"""Where bundled resources and per-user data live, in a checkout and in an installed build."""

from __future__ import annotations

import sys
from pathlib import Path

APP_NAME = "PPDS Desktop"
APP_AUTHOR = "PPDS"


def resources_dir() -> Path:
    """The top-level ``resources/`` folder (PyInstaller puts it beside the executable's data)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def user_guide() -> Path:
    """The user guide (Markdown, with its images in ``images/`` beside it): ``docs/`` of the
    checkout, or the copy PyInstaller puts beside the executable's data."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    root = Path(frozen_root) if frozen_root else Path(__file__).resolve().parent.parent
    return root / "docs" / "user-guide.md"


def resource(name: str) -> Path:
    return resources_dir() / name


def sample_csv() -> Path:
    """The bundled 1,000-row synthetic hospital-admissions sample (no real people)."""
    return resource("sample_admissions.csv")


def user_data_dir() -> Path:
    import platformdirs          # on use: ``ppds --help`` does not need it

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_vault_path() -> Path:
    return user_data_dir() / "vault" / "ppds.vault"


def demo_vault_path() -> Path:
    return user_data_dir() / "demo" / "demo.vault"
