"""Make the user guide's pictures (docs/images/) from the GUI tour's screenshots.

    python docs/make_guide_images.py            # runs the tour, then writes docs/images/*.png

The tour (tests/test_gui_tour.py) shoots every screen with realistic data; the guide uses the
ones listed here, scaled to GUIDE_WIDTH pixels and written with the strongest PNG compression,
so the whole set stays small (under 3 MB). Run it again after a screen changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
GUIDE_WIDTH = 800
# tour screenshot → guide picture (the names the guide links to)
SHOTS = [
    "datasets-data", "import-3-roles", "prepare-2-preset", "prepare-3-columns-mask-settings",
    "prepare-4-model", "prepare-6-run", "prepare-results-hipaa-risk-banner",
    "prepare-results-risk", "prepare-results-utility", "prepare-saved",
    "sharing-identity-contacts", "sharing-verify-fingerprint", "share-1-what",
    "share-2-recipients", "share-4-sealed", "open-2-verified", "dp-1-question", "dp-2-bounds",
    "dp-3-privacy", "dp-4-results", "he-role-question", "he-site", "prepare-5-encrypt-columns",
    "he-collector-compute", "he-key-holder-review", "he-collector-results",
]


def shrink(source: Path, dest: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = QImage(str(source))
    if image.width() > GUIDE_WIDTH:
        image = image.scaledToWidth(GUIDE_WIDTH, Qt.TransformationMode.SmoothTransformation)
    if not image.save(str(dest), "PNG", 0):            # 0: the strongest compression
        raise SystemExit(f"cannot write {dest}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PPDS_TOUR_DIR=tmp)
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(ROOT / "tests" / "test_gui_tour.py")], cwd=ROOT, env=env, check=True)
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - images need it
        IMAGES.mkdir(parents=True, exist_ok=True)
        for name in SHOTS:
            shrink(Path(tmp) / f"{name}.png", IMAGES / f"{name}.png")
    total = sum(p.stat().st_size for p in IMAGES.glob("*.png"))
    print(f"{len(SHOTS)} pictures in {IMAGES}, {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
