#!/usr/bin/env bash
# Build, sign, notarize and staple "PPDS Desktop.app" and its .dmg on macOS.
# Needs: Xcode command-line tools, a "Developer ID Application" certificate in the keychain.
# Environment:
#   MACOS_SIGN_IDENTITY   e.g. "Developer ID Application: Example Hospital (TEAMID1234)"
#   MACOS_NOTARY_PROFILE  a keychain profile made once with:
#                         xcrun notarytool store-credentials PROFILE --apple-id ID --team-id TEAM --password APP_SPECIFIC_PW
#   (unset: the app is built unsigned, which is fine for local testing only)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="$ROOT/packaging/build"
cd "$ROOT"
VERSION="$("$PY" -c 'import ppds_desktop; print(ppds_desktop.__version__)')"

"$PY" -m pip install -q 'pyinstaller>=6.5'
"$PY" packaging/make_icons.py
"$PY" -m PyInstaller --noconfirm --distpath "$OUT/dist" --workpath "$OUT/work" packaging/ppds.spec
APP="$OUT/dist/PPDS Desktop.app"
# BUNDLE(COLLECT) puts both executables (ppds-desktop and the console ppds) in Contents/MacOS.

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    # Sign inside-out: every Mach-O first, then the bundle, with the hardened runtime.
    find "$APP/Contents" -type f \( -name '*.so' -o -name '*.dylib' -o -perm -u+x \) -print0 |
        xargs -0 codesign --force --timestamp --options runtime \
            --entitlements packaging/macos/entitlements.plist --sign "$MACOS_SIGN_IDENTITY"
    codesign --force --timestamp --options runtime \
        --entitlements packaging/macos/entitlements.plist --sign "$MACOS_SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

DMG="$OUT/PPDS-Desktop-$VERSION.dmg"
rm -f "$DMG"
STAGE="$(mktemp -d)"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "PPDS Desktop" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
rm -rf "$STAGE"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
fi
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose "$DMG"
fi
# Smoke test of the built app (offscreen).
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/ppds-desktop" --self-test
echo "built $DMG"
