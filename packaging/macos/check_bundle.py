"""Check a built ``PPDS Desktop.app`` the way macOS will read it (run by build_dmg.sh).

- Info.plist holds the keys of ``bundle_config.macos_info_plist`` (a normal windowed app with a
  Dock icon and a menu bar, not a background-only one; its minimum macOS);
- both executables are in ``Contents/MacOS``;
- no Mach-O file in the bundle needs a newer macOS than ``LSMinimumSystemVersion`` (a wheel
  built for a newer macOS would make the app fail to start there) nor lacks the build's
  architecture.

Prints one line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import plistlib
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bundle_config import MACOS_MINIMUM, macos_info_plist  # noqa: E402

MH_MAGIC_64, FAT_MAGIC, FAT_MAGIC_64 = 0xFEEDFACF, 0xCAFEBABE, 0xCAFEBABF
LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION = 0x24, 0x32
CPU_NAMES = {0x01000007: "x86_64", 0x0100000C: "arm64"}


def _version(packed: int) -> tuple[int, int]:
    return packed >> 16, (packed >> 8) & 0xFF


def macho_slices(data: bytes) -> list[tuple[str, tuple[int, int] | None]]:
    """(architecture, minimum macOS) of each slice of a Mach-O file; [] if it is not one."""
    if len(data) < 8:
        return []
    magic = struct.unpack_from(">I", data)[0]
    if magic in (FAT_MAGIC, FAT_MAGIC_64):
        count = struct.unpack_from(">I", data, 4)[0]
        entry, size = (">iiIII", 20) if magic == FAT_MAGIC else (">iiQQII", 32)
        out = []
        for i in range(count):
            _cpu, _sub, offset, length, *_ = struct.unpack_from(entry, data, 8 + i * size)
            out += macho_slices(data[offset:offset + length])
        return out
    if struct.unpack_from("<I", data)[0] != MH_MAGIC_64:
        return []
    cpu, _sub, _type, ncmds, _size, _flags, _res = struct.unpack_from("<iiIIIII", data, 4)
    offset, minimum = 32, None
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, offset)
        if cmd == LC_BUILD_VERSION:
            minimum = _version(struct.unpack_from("<I", data, offset + 12)[0])
        elif cmd == LC_VERSION_MIN_MACOSX:
            minimum = _version(struct.unpack_from("<I", data, offset + 8)[0])
        offset += cmdsize
    return [(CPU_NAMES.get(cpu, hex(cpu)), minimum)]


def problems(app: Path, arch: str | None = None) -> list[str]:
    found = []
    info = plistlib.loads((app / "Contents" / "Info.plist").read_bytes())
    for key, wanted in macos_info_plist(str(info.get("CFBundleShortVersionString"))).items():
        if info.get(key) != wanted:
            found.append(f"Info.plist: {key} is {info.get(key)!r}, expected {wanted!r}")
    for exe in ("ppds-desktop", "ppds"):
        if not (app / "Contents" / "MacOS" / exe).is_file():
            found.append(f"missing executable Contents/MacOS/{exe}")
    floor = tuple(int(n) for n in MACOS_MINIMUM.split("."))[:2]
    for path in sorted(p for p in app.rglob("*") if p.is_file() and not p.is_symlink()):
        with path.open("rb") as fh:
            if fh.read(4) not in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
                continue
        slices = macho_slices(path.read_bytes())
        where = path.relative_to(app)
        if arch and arch not in {a for a, _ in slices}:
            found.append(f"{where}: no {arch} code (has {', '.join(a for a, _ in slices)})")
        for slice_arch, minimum in slices:
            if minimum is not None and minimum > floor:
                found.append(f"{where} ({slice_arch}) needs macOS {minimum[0]}.{minimum[1]}, "
                             f"above LSMinimumSystemVersion {MACOS_MINIMUM}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: check_bundle.py APP [ARCH]", file=sys.stderr)
        return 2
    found = problems(Path(argv[0]), argv[1] if len(argv) == 2 else None)
    for line in found:
        print(line)
    print(f"{argv[0]}: {'ok' if not found else f'{len(found)} problem(s)'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
