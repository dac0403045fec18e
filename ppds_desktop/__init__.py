"""PPDS Desktop: privacy-preserving data sharing for hospitals, offline and by file exchange."""

__version__ = "0.1.0"
