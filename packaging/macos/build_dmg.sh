#!/usr/bin/env bash
# Build "PPDS Desktop.app" and its .dmg on macOS; sign, notarize and staple them when configured.
# Needs: Xcode command-line tools; for a signed build, a "Developer ID Application" certificate
# in a keychain the build can read (the workflow imports it into a temporary keychain).
# Environment:
#   MACOS_SIGN_IDENTITY    e.g. "Developer ID Application: Example Hospital (TEAMID1234)".
#                          PyInstaller signs every binary, then the .app as a whole (Qt's
#                          frameworks as bundles), hardened runtime, packaging/macos/entitlements.plist.
#                          Unset: signed ad hoc, which is fine for local testing only.
#   MACOS_NOTARY_PROFILE   a notarytool keychain profile, made once with
#                          xcrun notarytool store-credentials PROFILE --apple-id ID --team-id TEAM --password APP_SPECIFIC_PW
#   MACOS_NOTARY_KEYCHAIN  the keychain holding that profile, when it is not the default one
#   MACOS_ARCH             the architecture the app must contain (arm64 or x86_64; default: this Mac's)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="$ROOT/packaging/build"
cd "$ROOT"
VERSION="$("$PY" -c 'import ppds_desktop; print(ppds_desktop.__version__)')"

"$PY" -m pip install -q 'pyinstaller>=6.5'
"$PY" packaging/make_icons.py
# A signing failure fails the build, and PyInstaller checks the bundle's signature itself.
export PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR=1 PYINSTALLER_VERIFY_BUNDLE_SIGNATURE=1
"$PY" -m PyInstaller --noconfirm --distpath "$OUT/dist" --workpath "$OUT/work" packaging/ppds.spec
APP="$OUT/dist/PPDS Desktop.app"
# BUNDLE(COLLECT) puts both executables (ppds-desktop and the console ppds) in Contents/MacOS.

# What macOS will read: Info.plist keys, both executables, no library above the minimum macOS.
"$PY" packaging/macos/check_bundle.py "$APP" "${MACOS_ARCH:-$(uname -m)}"
codesign --verify --deep --strict --verbose=2 "$APP"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    SIGNATURE="$(codesign --display --verbose=2 "$APP" 2>&1)"
    case "$SIGNATURE" in
        *flags=*runtime*) ;;
        *) echo "the app is not signed with the hardened runtime" >&2; exit 1 ;;
    esac
fi

DMG="$OUT/PPDS-Desktop-$VERSION-${MACOS_ARCH:-$(uname -m)}.dmg"
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
    if [ -n "${MACOS_NOTARY_KEYCHAIN:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$MACOS_NOTARY_PROFILE" \
            --keychain "$MACOS_NOTARY_KEYCHAIN" --wait
    else
        xcrun notarytool submit "$DMG" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
    fi
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose "$DMG"
fi
# Smoke test of the built app (offscreen): both executables.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/ppds-desktop" --self-test
"$APP/Contents/MacOS/ppds" --version
echo "built $DMG"
