"""The encrypted vault (SQLCipher + Argon2id-wrapped key). See ``docs/architecture.md``."""

from .audit import AuditEntry, AuditHead
from .datasets import ROLES, ColumnRole, DatasetInfo, DatasetRef
from .keys import FAST_KDF, PRODUCTION_KDF, KdfParams
from .releases import ReleaseInfo
from .vault import Vault

__all__ = ["Vault", "DatasetInfo", "DatasetRef", "ReleaseInfo", "ColumnRole", "AuditEntry", "AuditHead",
           "ROLES", "KdfParams", "PRODUCTION_KDF", "FAST_KDF"]
