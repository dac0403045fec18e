"""Column types, profiles and privacy roles (identifier, quasi-identifier, sensitive, insensitive)."""

from .pii import ROLES, Suggestion, suggest_role
from .profile import (ColumnProfile, DatasetProfile, column_examples, profile_table,
                      start_profile)
from .types import KINDS

__all__ = ["ROLES", "KINDS", "Suggestion", "suggest_role", "ColumnProfile", "DatasetProfile",
           "profile_table", "start_profile", "column_examples"]
