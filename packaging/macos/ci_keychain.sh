#!/usr/bin/env bash
# CI only: make the signing certificate and the notarization credentials usable by
# build_dmg.sh, in a temporary keychain that the job deletes at its end.
#   ci_keychain.sh setup     import MACOS_CERTIFICATE_P12 (base64 of a .p12 holding the
#                            "Developer ID Application" certificate and its key, password in
#                            MACOS_CERTIFICATE_PASSWORD); when MACOS_NOTARY_APPLE_ID,
#                            MACOS_NOTARY_TEAM_ID and MACOS_NOTARY_PASSWORD (an app-specific
#                            password) are set too, store them as a notarytool profile. Exports
#                            MACOS_SIGN_IDENTITY, MACOS_NOTARY_PROFILE and MACOS_NOTARY_KEYCHAIN
#                            to the following steps through $GITHUB_ENV.
#                            Without a certificate it does nothing: the app is built unsigned.
#   ci_keychain.sh cleanup   delete the temporary keychain.
set -euo pipefail
KEYCHAIN="${RUNNER_TEMP:?runs in GitHub Actions only}/ppds-signing.keychain-db"
PROFILE="ppds-notary"

case "${1:-}" in
setup)
    if [ -z "${MACOS_CERTIFICATE_P12:-}" ]; then
        echo "No signing certificate among the secrets: the app is built unsigned (ad hoc)."
        exit 0
    fi
    KEYCHAIN_PASSWORD="$(openssl rand -base64 24)"
    security create-keychain -p "$KEYCHAIN_PASSWORD" "$KEYCHAIN"
    security set-keychain-settings -lut 21600 "$KEYCHAIN"
    security unlock-keychain -p "$KEYCHAIN_PASSWORD" "$KEYCHAIN"
    CERT="$RUNNER_TEMP/ppds-signing.p12"
    printf '%s' "$MACOS_CERTIFICATE_P12" | base64 --decode > "$CERT"
    security import "$CERT" -k "$KEYCHAIN" -f pkcs12 -P "${MACOS_CERTIFICATE_PASSWORD:-}" \
        -T /usr/bin/codesign -T /usr/bin/security
    rm -f "$CERT"
    # Let codesign use the key without a dialog, and search this keychain first.
    security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k "$KEYCHAIN_PASSWORD" \
        "$KEYCHAIN" > /dev/null
    EXISTING="$(security list-keychains -d user | tr -d '"' | xargs)"
    # shellcheck disable=SC2086 # the existing keychains are separate words on purpose
    security list-keychains -d user -s "$KEYCHAIN" $EXISTING
    IDENTITY="${MACOS_SIGN_IDENTITY:-}"
    if [ -z "$IDENTITY" ]; then
        IDENTITY="$(security find-identity -v -p codesigning "$KEYCHAIN" \
            | sed -n 's/.*"\(Developer ID Application: .*\)"/\1/p' | head -n 1)"
    fi
    if [ -z "$IDENTITY" ]; then
        echo "The certificate holds no 'Developer ID Application' identity." >&2
        exit 1
    fi
    echo "MACOS_SIGN_IDENTITY=$IDENTITY" >> "$GITHUB_ENV"
    if [ -n "${MACOS_NOTARY_APPLE_ID:-}" ] && [ -n "${MACOS_NOTARY_TEAM_ID:-}" ] \
            && [ -n "${MACOS_NOTARY_PASSWORD:-}" ]; then
        xcrun notarytool store-credentials "$PROFILE" --apple-id "$MACOS_NOTARY_APPLE_ID" \
            --team-id "$MACOS_NOTARY_TEAM_ID" --password "$MACOS_NOTARY_PASSWORD" \
            --keychain "$KEYCHAIN"
        echo "MACOS_NOTARY_PROFILE=$PROFILE" >> "$GITHUB_ENV"
        echo "MACOS_NOTARY_KEYCHAIN=$KEYCHAIN" >> "$GITHUB_ENV"
    else
        echo "No notarization credentials among the secrets: the app is signed, not notarized."
    fi
    ;;
cleanup)
    if [ -f "$KEYCHAIN" ]; then
        security delete-keychain "$KEYCHAIN"
    fi
    ;;
*)
    echo "usage: ci_keychain.sh setup|cleanup" >&2
    exit 2
    ;;
esac
