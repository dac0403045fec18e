"""Homomorphic aggregation pages (Qt); the work is done by ``services.he``.

Importing this package registers the Prepare wizard's optional "Encrypt columns" page.
"""

from ..prepare.extra_pages import EXTRA_PAGES, ExtraPage


def _encryption_page(state):
    from .encryption_page import EncryptionPage

    return EncryptionPage(state)


if not any(p.key == "encryption" for p in EXTRA_PAGES):
    EXTRA_PAGES.append(ExtraPage("encryption", "Encrypt columns (optional)", _encryption_page))
