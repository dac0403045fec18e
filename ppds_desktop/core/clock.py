"""UTC time stamps as text, in the two forms the app writes.

``utc_now()`` (microseconds) stamps what the vault records: audit entries, datasets, releases,
ledger rows, answered cells. ``utc_now_seconds()`` (to the second) stamps what peers read:
identity cards, contacts, HE requests and results, imported bundles.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now_seconds() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
