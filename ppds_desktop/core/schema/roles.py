"""The four privacy roles a column can have. Light to import (the command line's help)."""

ROLES = ("identifier", "quasi_identifier", "sensitive", "insensitive")
