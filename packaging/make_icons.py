"""Render the app icon (resources/icons/app.svg) into the formats installers need.

Writes ppds.png (256 px), ppds.ico (Windows) and ppds.icns (macOS) into packaging/build/icons/.
Qt's own image plugins do the work, so no extra tool is needed on any platform.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "app.svg"
OUT = ROOT / "packaging" / "build" / "icons"


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication([])
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in (("ppds.png", 256), ("ppds.ico", 256), ("ppds.icns", 512)):
        if not render(size).save(str(OUT / name)):
            sys.exit(f"could not write {OUT / name}")
    print(f"icons written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
