"""Column types, profiles and privacy roles (identifier, quasi-identifier, sensitive, insensitive)."""

from importlib import import_module

# Loaded on first use, so that the light ``roles`` module does not bring in pyarrow.
_FROM = {"ROLES": "roles", "Suggestion": "pii", "suggest_role": "pii", "ColumnProfile": "profile",
         "DatasetProfile": "profile", "column_examples": "profile", "profile_table": "profile",
         "start_profile": "profile", "KINDS": "types"}
__all__ = sorted(_FROM)


def __getattr__(name: str):
    if name in _FROM:
        return getattr(import_module(f".{_FROM[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
