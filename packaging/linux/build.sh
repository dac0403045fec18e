#!/usr/bin/env bash
# Build the Linux .deb from a clean checkout: PyInstaller onedir -> /opt/ppds-desktop,
# launchers in /usr/bin, desktop entry and icon; then (unless --no-smoke) install it into a
# scratch root with `dpkg -x`, run the installed `ppds-desktop --self-test` and `ppds --help`
# offscreen, and save a screenshot of the main window.
# Output: packaging/build/ppds-desktop_<version>_<arch>.deb and packaging/build/figures.json
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="$ROOT/packaging/build"
SMOKE=1
[ "${1:-}" = "--no-smoke" ] && SMOKE=0

cd "$ROOT"
"$PY" -m pip install -q 'pyinstaller>=6.5' >/dev/null
VERSION="$("$PY" -c 'import ppds_desktop; print(ppds_desktop.__version__)')"
ARCH="$(dpkg --print-architecture)"
start=$(date +%s)

rm -rf "$OUT/dist" "$OUT/work" "$OUT/deb"
"$PY" packaging/make_icons.py >/dev/null
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$OUT/dist" --workpath "$OUT/work" packaging/ppds.spec

# Strip debug symbols, except in the libraries that wheels vendor under `*.libs/`: auditwheel
# rewrote those with patchelf and `strip` breaks them (numpy's OpenBLAS fails to load).
find "$OUT/dist/ppds-desktop" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' \
    -print0 | xargs -0 strip --strip-unneeded

PKG="$OUT/deb"
mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
         "$PKG/usr/share/icons/hicolor/256x256/apps" "$PKG/usr/share/icons/hicolor/scalable/apps"
cp -a "$OUT/dist/ppds-desktop" "$PKG/opt/ppds-desktop"
ln -s /opt/ppds-desktop/ppds-desktop "$PKG/usr/bin/ppds-desktop"
ln -s /opt/ppds-desktop/ppds "$PKG/usr/bin/ppds"
cp packaging/linux/ppds-desktop.desktop "$PKG/usr/share/applications/"
cp "$OUT/icons/ppds.png" "$PKG/usr/share/icons/hicolor/256x256/apps/ppds-desktop.png"
cp resources/icons/app.svg "$PKG/usr/share/icons/hicolor/scalable/apps/ppds-desktop.svg"
SIZE_KB=$(du -sk "$PKG" --exclude=DEBIAN | cut -f1)
# The glibc floor is the build machine's: build on the oldest distribution to support.
GLIBC="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"   # one line: no early-closed pipe
sed -e "s/@VERSION@/$VERSION/" -e "s/@GLIBC@/$GLIBC/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE_KB/" \
    packaging/linux/control.in > "$PKG/DEBIAN/control"
DEB="$OUT/ppds-desktop_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$PKG" "$DEB" >/dev/null
build_s=$(( $(date +%s) - start ))
echo "built $DEB in ${build_s}s (installed size ${SIZE_KB} KiB, .deb $(du -k "$DEB" | cut -f1) KiB)"

if [ "$SMOKE" = 1 ]; then
    "$PY" packaging/linux/smoke.py "$DEB" --build-seconds "$build_s" --installed-kib "$SIZE_KB"
fi
