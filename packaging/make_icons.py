"""Render the app icon (resources/icons/app.svg) into the formats installers need.

Writes ppds.png (256 px), ppds.ico (Windows: 16 to 256 px) and ppds.icns (macOS: 16 to 1024 px,
with the Retina variants) into packaging/build/icons/, or into the folder given as argument.
Windows and macOS pick the size that fits each place (title bar, taskbar, Finder, Dock); a
single large image is scaled down blurrily, or not shown at all. Qt renders each size from the
SVG; the two container formats are simple enough to write here, so no extra tool is needed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "app.svg"
OUT = ROOT / "packaging" / "build" / "icons"

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
# ICNS element types holding PNG data, and their pixel sizes (the @2x ones are Retina).
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256),
              ("ic09", 512), ("ic10", 1024), ("ic11", 32), ("ic12", 64), ("ic13", 256),
              ("ic14", 512))


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def _dib(image: QImage) -> bytes:
    """An ICO entry in the classic form (32-bit bitmap, bottom-up, with an AND mask) for the
    small sizes, which some Windows components do not read as PNG."""
    size = image.width()
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    rows = [bytes(image.constScanLine(y))[:size * 4] for y in range(size)]   # BGRA in memory
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, size * size * 4, 0, 0, 0, 0)
    mask_row = b"\0" * (((size + 31) // 32) * 4)                # alpha is used; mask all clear
    return header + b"".join(reversed(rows)) + mask_row * size


def ico_bytes(images: list[QImage]) -> bytes:
    payloads = [png_bytes(im) if im.width() >= 256 else _dib(im) for im in images]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for image, payload in zip(images, payloads):
        side = image.width() % 256          # 0 stands for 256
        out += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
    return out + b"".join(payloads)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(kind.encode("ascii") + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(ICO_SIZES) | {size for _kind, size in ICNS_TYPES})
    images = {size: render(size) for size in sizes}
    pngs = {size: png_bytes(images[size]) for size in sizes}
    (out / "ppds.png").write_bytes(pngs[256])
    (out / "ppds.ico").write_bytes(ico_bytes([images[s] for s in ICO_SIZES]))
    (out / "ppds.icns").write_bytes(icns_bytes(pngs))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else OUT
    _app = QGuiApplication.instance() or QGuiApplication([])
    write_icons(out)
    print(f"icons written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
